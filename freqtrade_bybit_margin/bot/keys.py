"""
What the bot says about its API key, from the service's key preflight
(:meth:`~freqtrade_bybit_margin.service.MarginService.check_key`):

- a key that cannot do what is needed (read-only, or without ContractTrade Order + Position):
  one ERROR line and one RPC message at startup, before any write; then nothing is written and
  every entry is refused (nothing can be confirmed) until the bot restarts;
- a key that expires within a week: a WARNING and an RPC message, once a day (the loop checks
  the key again every :data:`KEY_CHECK_INTERVAL_S`, one ``query-api`` read);
- a key that could not be checked: one INFO line (no reason to block: the writes' own answers
  still are).

freqtrade rejects a read-only key, or one without ContractTrade Position, itself before the
strategy starts (its own ``switch-mode`` at exchange init answers 10005); a key without Order
passes freqtrade's start and is stopped here.

:class:`KeyGuardedController` is the live controller behind that preflight: the bot's one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.bot.gate import LogOnce, Verdict
from freqtrade_bybit_margin.bot.internals import BotClient, OrderPrep
from freqtrade_bybit_margin.bot.live import EntryRefused, LiveController
from freqtrade_bybit_margin.config import MarginSettings
from freqtrade_bybit_margin.model import PairTarget
from freqtrade_bybit_margin.service import MarginService, RetryPolicy
from freqtrade_bybit_margin.service.key_check import KeyReport


__all__ = ["KEY_CHECK_INTERVAL_S", "KeyGuardedController", "KeyWatch"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")

#: Seconds between the loop's checks of the key (its expiry is warned about once per check).
KEY_CHECK_INTERVAL_S = 86_400.0


class KeyWatch:
    """The key preflight at startup and its daily repeat in the loop.

    :param service: the live controller's service
    :param notify: sends a message through freqtrade's RPC
    :param clock: unix time (the wall clock: a day is a calendar day)
    """

    def __init__(
        self,
        service: MarginService,
        notify: Callable[[str], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._service = service
        self._notify = notify
        self._clock = clock
        self._checked_at: float | None = None
        self.problem = ""
        """What the key cannot do (one line); empty when it can, or could not be checked."""

    def start(self) -> bool:
        """
        The startup check, before any write.

        :return: True when the key cannot do what is needed (nothing may be written)
        """
        self._said(self._service.check_key())
        return bool(self.problem)

    def daily(self) -> bool:
        """
        The loop's check, one read once a day (none in between).

        :return: True when the key cannot do what is needed (nothing may be written)
        """
        now = self._clock()
        if self._checked_at is None or now - self._checked_at >= KEY_CHECK_INTERVAL_S:
            self._said(self._service.check_key(fresh=True))
        return bool(self.problem)

    def refusal(self, pair: str) -> Verdict:
        """An entry refused for the key (the line said at startup explains it: INFO)."""
        message = f"Bybit margin: entry on {pair} refused: {self.problem}."
        return Verdict(False, ("key", pair), message, logging.INFO)

    def _said(self, report: KeyReport) -> None:
        self._checked_at = self._clock()
        if report.blocks and report.problem != self.problem:
            self.problem = report.problem
            message = (
                f"Bybit margin: {report.problem}. Until the bot restarts with such a key, nothing "
                "is written and every entry is refused."
            )
            logger.error(message)
            self._notify(message)
        if report.expiry:
            message = f"Bybit margin: {report.expiry}."
            logger.warning(message)
            self._notify(message)
        if report.unread:
            logger.info(
                "Bybit margin: the API key's permissions were not checked (%s).", report.unread
            )


class KeyGuardedController(LiveController):
    """The live controller behind the key preflight: with a key that cannot write, nothing is
    prepared or written, every entry is refused and freqtrade's own margin calls before an
    order of an open trade are not sent (Bybit would refuse them); otherwise
    :class:`~.live.LiveController` as it is, and the key is checked again once a day."""

    def __init__(
        self,
        settings: MarginSettings,
        client: BotClient,
        notify: Callable[[str], None],
        say: LogOnce,
        *,
        retry: RetryPolicy,
    ) -> None:
        super().__init__(settings, client, notify, say, retry=retry)
        self.keys = KeyWatch(self.service, notify)

    def prepare_all(self, targets: Sequence[PairTarget]) -> None:
        """The key preflight, then :meth:`LiveController.prepare_all` if the key can write."""
        if not self.keys.start():
            super().prepare_all(targets)

    def maintain(self, pairs: Sequence[str], budget: int, held: Mapping[str, Decimal]) -> None:
        """The daily key check, then the loop's slice of work if the key can write."""
        if not self.keys.daily():
            super().maintain(pairs, budget, held)

    def check_entry(self, target: PairTarget) -> Verdict:
        if self.keys.problem:
            return self.keys.refusal(target.pair)
        return super().check_entry(target)

    def before_order(self, prep: OrderPrep) -> Any:
        if not self.keys.problem:
            return super().before_order(prep)
        if prep.accept_fail:  # an order of an open trade: margin calls would be refused anyway
            return None
        raise EntryRefused(self.keys.refusal(prep.pair).message)
