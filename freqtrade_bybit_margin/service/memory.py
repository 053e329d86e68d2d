"""What the service confirmed, when, and when a pair that is not confirmed is tried again."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from freqtrade_bybit_margin.model import PairResult, PairTarget


__all__ = ["Backoff", "Memory"]


@dataclass(frozen=True)
class Backoff:
    """When a pair that is not confirmed is tried again: ``first`` s, doubling up to ``most``.

    A permanent refusal (``retryable`` False) waits ``most`` at once: it will not change by
    itself, but the user may fix it on the exchange.
    """

    first: float = 5.0
    most: float = 120.0

    def delay(self, failures: int, retryable: bool) -> float:
        """Seconds before the next try after ``failures`` tries in a row that did not confirm."""
        if not retryable:
            return self.most
        return float(min(self.most, self.first * 2 ** max(0, failures - 1)))


class Memory:
    """Thread-safe record of the last result per pair and its retry schedule."""

    def __init__(
        self, backoff: Backoff, paused_until: Callable[[], float | None] = lambda: None
    ) -> None:
        self._backoff = backoff
        self._paused_until = paused_until
        self._lock = threading.Lock()
        self._results: dict[str, PairResult] = {}
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}

    def get(self, pair: str) -> PairResult | None:
        """The last result of ``pair``."""
        with self._lock:
            return self._results.get(pair)

    def record(self, results: Iterable[PairResult]) -> None:
        """Remember ``results``; schedule the next try of those not confirmed (never before an
        IP ban's pause ends)."""
        pause = self._paused_until() or 0.0
        with self._lock:
            for result in results:
                self._results[result.pair] = result
                if result.confirmed:
                    self._failures.pop(result.pair, None)
                    self._retry_at.pop(result.pair, None)
                    continue
                failures = self._failures.get(result.pair, 0) + 1
                self._failures[result.pair] = failures
                delay = self._backoff.delay(failures, result.retryable)
                self._retry_at[result.pair] = max(result.at + delay, pause)

    def retry_now(self, pair: str) -> None:
        """The next try of ``pair`` may come at once (e.g. as soon as its trade is closed)."""
        with self._lock:
            self._retry_at[pair] = 0.0

    def older_than(self, pair: str, now: float, age: float) -> bool:
        """The last result of ``pair`` is older than ``age`` seconds (or there is none)."""
        result = self.get(pair)
        return result is None or now - result.at > age

    def is_new(self, target: PairTarget) -> bool:
        """Never prepared for this target (a late joiner, or its leverage changed)."""
        result = self.get(target.pair)
        return result is None or result.target != target

    def retry_due(self, pair: str, now: float) -> bool:
        """Not confirmed, and its next try has come."""
        with self._lock:
            result = self._results.get(pair)
            return (
                result is not None and not result.confirmed and now >= self._retry_at.get(pair, 0.0)
            )

    def due(
        self,
        targets: Sequence[PairTarget],
        now: float,
        verify_interval: float,
        *,
        held: Collection[str],
        recheck: Collection[str],
    ) -> tuple[list[PairTarget], list[PairTarget]]:
        """
        What one slice of background work does: the targets to prepare (never prepared for
        this target, or their retry came; never a pair held by an open trade) and those to read
        again (confirmed longer ago than ``verify_interval``, held pairs read that long ago,
        pairs whose contest is to be looked at again).

        :param held: pairs of open trades
        :param recheck: pairs (or ``ACCOUNT``) whose contest is due for a look
        """
        prepare = [
            t
            for t in targets
            if t.pair not in held and (self.is_new(t) or self.retry_due(t.pair, now))
        ]
        reread = [
            t
            for t in targets
            if t not in prepare
            and (
                self.stale(t, now, verify_interval)
                or (t.pair in held and self.older_than(t.pair, now, verify_interval))
                or t.pair in recheck
            )
        ]
        return prepare, reread

    def stale(self, target: PairTarget, now: float, max_age: float) -> bool:
        """Confirmed at ``target``, but longer ago than ``max_age``."""
        result = self.get(target.pair)
        return (
            result is not None
            and result.confirms(target, now, math.inf)
            and not result.confirms(target, now, max_age)
        )
