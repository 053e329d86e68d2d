"""
What the live controller tells the user, and how loudly: results that changed (INFO; drift and
new failures WARNING + RPC), open trades off their recorded settings, contests between clients
on one UID, IP-ban pauses, account-wide changes, a clamp to Bybit's maximum. Each said once
(``LogOnce``); what follows from a contest the user was told of within the hour is said at INFO.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace

from freqtrade_bybit_margin.bot.gate import LogOnce, Verdict
from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import FailureKind, PairResult
from freqtrade_bybit_margin.report import result_line
from freqtrade_bybit_margin.service import Mismatch
from freqtrade_bybit_margin.service.contention import ACCOUNT, Contest
from freqtrade_bybit_margin.service.over_max import Clamp


__all__ = ["EXPLAINED_S", "SHARED_UID", "Teller", "clamp_verdict"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")

#: How long a contest explains the refusals that follow from it (said at INFO meanwhile).
EXPLAINED_S = 3600.0
SHARED_UID = (
    "Bots on one Bybit UID share one position per symbol (one-way mode): give each bot its own "
    "sub-account."
)


class Teller:
    """
    The user's side of the live controller: the log (through the mixin's de-duplicating
    logger) and freqtrade's RPC.

    :param notify: sends a message through freqtrade's RPC
    :param say: the mixin's de-duplicating logger
    """

    def __init__(self, notify: Callable[[str], None], say: LogOnce) -> None:
        self._notify = notify
        self._say = say
        self.confirmed: set[str] = set()
        """Pairs whose last result said confirmed (a failure after it is "no longer")."""
        self._told: dict[str, float] = {}
        """When the user was told that another client contests a pair (or the account)."""

    def explained(self, pair: str) -> bool:
        """The user was told within the hour that another client contests ``pair`` (or the
        account's mode): what follows from it (refusals, a position that is not ours) is said
        at INFO only."""
        now = time.time()
        return any(now - self._told.get(key, -math.inf) < EXPLAINED_S for key in (pair, ACCOUNT))

    @staticmethod
    def quietly(verdict: Verdict) -> Verdict:
        return replace(verdict, level=logging.INFO, notify=False)

    def tell(self, verdict: Verdict) -> None:
        said = verdict.message and self._say(verdict.key, verdict.level, verdict.message)
        if said and verdict.notify:
            self._notify(verdict.message)

    def report(self, result: PairResult, *, drift: bool = False) -> None:
        """Log a changed result; drift and new failures also go through RPC."""
        was = result.pair in self.confirmed
        line = result_line(result)
        if result.confirmed:
            self.confirmed.add(result.pair)
            if not drift:
                logger.info("Bybit margin: %s", line)
                return
            message = (
                f"Bybit margin: {result.pair} was changed outside the bot and is set back: {line}"
            )
        else:
            self.confirmed.discard(result.pair)
            state = "no longer confirmed" if was else "not confirmed"
            message = f"Bybit margin: {result.pair} {state}: {line}"
            contested = result.failure is not None and result.failure.kind is FailureKind.CONTESTED
            if contested or self.explained(result.pair):
                self._say(("result", result.pair), logging.INFO, message)
                return
        if self._say(("result", result.pair), logging.WARNING, message):
            self._notify(message)

    def mismatch(self, mismatch: Mismatch) -> None:
        """An open trade off its recorded settings: said once (log + RPC) per value found."""
        recorded = fmt_leverage(mismatch.recorded.leverage)
        message = (
            f"Bybit margin: {mismatch.pair}: {mismatch.reason}. freqtrade computes "
            f"stake and liquidation with {recorded}. The trade's own orders set it back to "
            f"{recorded}; no new entry on {mismatch.pair} before the trade is closed and the "
            "pair is prepared again."
        )
        key = ("mismatch", f"{mismatch.pair} {mismatch.found.leverage}")
        if self._say(key, logging.WARNING, message):
            self._notify(message)

    def contested(self, contest: Contest) -> None:
        """Another client keeps changing a setting back: said once (log + RPC)."""
        scope = "every pair" if contest.key == ACCOUNT else contest.key
        message = (
            f"Bybit margin: {contest.reason}. This bot stops writing it and refuses entries on "
            f"{scope} until it stays put (looked at again after growing pauses). {SHARED_UID}"
        )
        self._told[contest.key] = time.time()
        if self._say(("contest", contest.key), logging.WARNING, message):
            self._notify(message)

    def paused(self, message: str) -> None:
        """An IP ban pauses every request (the pacer logs it once, at WARNING): RPC too."""
        self._notify(f"Bybit margin: {message}")

    def account_change(self, message: str) -> None:
        """The service is about to change an account-wide setting (and logs it at WARNING):
        queued for RPC too, once per TTL."""
        if self._say(("account", ""), logging.DEBUG, message):
            self._notify(f"Bybit margin: {message}")


def clamp_verdict(clamp: Clamp) -> Verdict:
    """What the user is told once (log + RPC) when ``over_max: clamp`` set a pair to Bybit's
    lower maximum."""
    value = fmt_leverage(clamp.maximum.leverage)
    message = (
        f"Bybit margin: {clamp.pair}: {clamp.reason}. leverage() answers {value} for it, so "
        f"freqtrade's trades and Bybit agree on {value}; its target "
        f"{fmt_leverage(clamp.asked.leverage)} is tried again once Bybit allows it (a maximum "
        "from a 110013 answer is kept for a day)."
    )
    return Verdict(True, ("clamp", clamp.pair), message, logging.WARNING, notify=True)
