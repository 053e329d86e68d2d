"""
The entry gate's policy: may an entry on a pair go ahead, what is the user told, how often.

No freqtrade import and an injected clock: the live controller (:mod:`.live`) feeds it the
service's results and the mixin carries out its verdicts (log, RPC, answer to freqtrade).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from freqtrade_bybit_margin.config import OnFailure
from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import PairResult, PairTarget


__all__ = ["EntryGate", "LogOnce", "Verdict"]

Clock = Callable[[], float]


class LogOnce:
    """
    Say a message at most once per ``ttl`` seconds per key, like freqtrade's
    ``LoggingMixin.log_once``; but keyed by a short key such as ``("refused", pair)``, so the
    memory does not grow with message text. A key whose text changed is said again at once.

    :param logger: where messages go
    :param ttl: seconds before the same text under the same key is said again
    :param maxsize: keys kept; the least recently said are forgotten first
    :param clock: seconds, monotonic
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        ttl: float = 3600.0,
        maxsize: int = 1024,
        clock: Clock = time.monotonic,
    ) -> None:
        self._logger = logger
        self._ttl = ttl
        self._maxsize = maxsize
        self._clock = clock
        self._said: dict[Hashable, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __call__(
        self, key: Hashable, level: int, message: str, *, exc_info: BaseException | None = None
    ) -> bool:
        """
        Log ``message`` at ``level`` unless it was said under ``key`` within the TTL.

        :param key: what the message is about, without its variable text
        :param level: a ``logging`` level
        :param message: the text
        :param exc_info: an exception whose traceback goes with the message
        :return: True when the message was logged now
        """
        now = self._clock()
        with self._lock:
            last = self._said.get(key)
            if last is not None and last[0] == message and now - last[1] < self._ttl:
                return False
            self._said.pop(key, None)
            self._said[key] = (message, now)
            while len(self._said) > self._maxsize:
                del self._said[next(iter(self._said))]
        self._logger.log(level, message, exc_info=exc_info, stacklevel=2)
        return True


@dataclass(frozen=True)
class Verdict:
    """The gate's answer for one entry.

    :param allowed: what ``confirm_trade_entry`` answers
    :param key: de-duplication key of ``message`` (see :class:`LogOnce`)
    :param message: what to log; empty: nothing to say
    :param level: its ``logging`` level
    :param notify: also send ``message`` through freqtrade's RPC (Telegram, webhooks)
    """

    allowed: bool
    key: tuple[str, str] = ("", "")
    message: str = ""
    level: int = logging.INFO
    notify: bool = False


class EntryGate:
    """
    ``on_failure`` as verdicts: under ``block`` an entry on a pair that is not confirmed at its
    target is refused (logged, and sent through RPC); under ``warn`` it is allowed with a
    warning.

    :param on_failure: the configured policy
    """

    def __init__(self, on_failure: OnFailure) -> None:
        self.on_failure = on_failure

    def judge(self, target: PairTarget, result: PairResult | None) -> Verdict:
        """
        The verdict for an entry at ``target``, from the service's entry proof for it (which
        already applied the freshness rule, ``PairResult.confirms``).

        :param target: the pair at the mode and leverage of this entry
        :param result: what the service confirmed or decided for the pair (None: nothing yet)
        """
        if result is not None and result.confirmed and result.target == target:
            return Verdict(True)
        if result is None or result.target != target:
            why = "not prepared yet"
        else:
            outcome = result.outcome.value
            why = f"{outcome}: {result.reason}" if result.reason else outcome
        wanted = f"{target.margin_mode.value} {fmt_leverage(target.leverage)}"
        return self.refuse(target.pair, f"not confirmed {wanted} ({why})")

    def refuse(self, pair: str, reason: str) -> Verdict:
        """
        Refuse (``block``) or allow with a warning (``warn``) an entry on ``pair``.

        :param pair: freqtrade pair name
        :param reason: why the pair is not confirmed
        """
        if self.on_failure is OnFailure.WARN:
            return Verdict(
                True,
                ("allowed", pair),
                f"Bybit margin: entry on {pair} allowed although {reason} (on_failure: warn).",
                logging.WARNING,
            )
        return Verdict(
            False,
            ("refused", pair),
            f"Bybit margin: entry on {pair} refused: {reason} (on_failure: block).",
            logging.WARNING,
            notify=True,
        )

    def broken(self, pair: str, why: str) -> Verdict:
        """
        Refuse every entry: the plugin cannot work in this bot (whatever ``on_failure`` says).

        :param pair: freqtrade pair name
        :param why: what is missing, e.g. the versions found and the range supported
        """
        return Verdict(
            False, ("broken", pair), f"Bybit margin: entry on {pair} refused: {why}", logging.ERROR
        )

    def error(self, pair: str, err: Exception) -> Verdict:
        """
        The verdict when checking ``pair`` raised: ``block`` refuses, ``warn`` allows.

        :param pair: freqtrade pair name
        :param err: what the check raised (its traceback is logged once by the caller)
        """
        allowed = self.on_failure is OnFailure.WARN
        verdict = "allowed (on_failure: warn)" if allowed else "refused"
        return Verdict(
            allowed,
            ("error", pair),
            f"Bybit margin: entry check for {pair} failed; entry {verdict} ({err!r}).",
            logging.ERROR,
        )
