"""
Pacing under Bybit's per-UID, per-endpoint rate limits, by what Bybit itself says.

Bybit counts private calls per UID and endpoint in a rolling one-second window, answers ``10006``
beyond it, and tells every caller where it stands in three headers: ``X-Bapi-Limit`` (the limit),
``X-Bapi-Limit-Status`` (requests left) and ``X-Bapi-Limit-Reset-Timestamp`` (ms; when the limit
resets if it is exhausted, otherwise about now). https://bybit-exchange.github.io/docs/v5/rate-limit

The budget is the UID's, shared by every bot, script and person on the account, so a pacer that
counts only its own requests cannot know what is left. This one does both:

- its own requests: a request holds a slot from the moment it is booked until one window after
  it finished (the exchange counts arrivals, which fall anywhere in between), so on its own it
  never exceeds the limit in any window and needs no 10006 to find out;
- Bybit's word: when the headers say nothing is left, or an answer is 10006, the endpoint waits
  until the announced reset (plus a small margin), never less.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from freqtrade_bybit_margin.constants import AccountType, Endpoint


__all__ = ["Pacer", "RateHeaders", "limits_for"]

#: Documented per-UID limits (requests per second), UTA2.0 Pro table
#: (https://bybit-exchange.github.io/docs/v5/rate-limit). switch-isolated is in no V5 table; ccxt
#: gives it the cost of set-leverage (10/s). symbol-info is not listed: 10/s assumed.
UTA2_LIMITS: Mapping[str, int] = {
    Endpoint.SWITCH_ISOLATED: 10,
    Endpoint.SET_LEVERAGE: 10,
    Endpoint.SET_MARGIN_MODE: 5,
    Endpoint.POSITION_LIST: 50,
    Endpoint.POSITION_SYMBOL_INFO: 10,
    Endpoint.ORDER_REALTIME: 50,
    Endpoint.ACCOUNT_INFO: 50,
    Endpoint.QUERY_API: 10,
}

#: Classic and UTA1.0 read limits where they differ: ``position/list`` and ``order/realtime``
#: 10/s on Classic (linear, inverse); UTA1.0 Pro: inverse 10/s, linear 50/s (the lower figure is
#: used, one bucket per endpoint). Rate-limit page at bybit-exchange/docs 9f53178f (2025-11-12),
#: Classic and UTA1.0 Pro tabs.
SLOWER_READS: Mapping[AccountType, Mapping[str, int]] = {
    AccountType.CLASSIC: {Endpoint.POSITION_LIST: 10, Endpoint.ORDER_REALTIME: 10},
    AccountType.UTA1: {Endpoint.POSITION_LIST: 10, Endpoint.ORDER_REALTIME: 10},
    AccountType.UTA2: {},
}


def limits_for(account_type: AccountType) -> dict[str, int]:
    """The documented per-UID limits of ``account_type``."""
    return {**UTA2_LIMITS, **SLOWER_READS[account_type]}


@dataclass(frozen=True)
class RateHeaders:
    """The three ``X-Bapi-Limit*`` headers of one answer; None where absent or unreadable."""

    limit: int | None
    remaining: int | None
    reset: float | None
    """Unix time in seconds."""

    @classmethod
    def parse(cls, headers: Mapping[str, str] | None) -> RateHeaders:
        """Read them from a response's headers (any key case)."""
        lower = {str(k).lower(): v for k, v in (headers or {}).items()}

        def number(name: str) -> float | None:
            try:
                return float(lower[name])
            except (KeyError, TypeError, ValueError):
                return None

        limit, remaining = number("x-bapi-limit"), number("x-bapi-limit-status")
        reset = number("x-bapi-limit-reset-timestamp")
        return cls(
            int(limit) if limit is not None else None,
            int(remaining) if remaining is not None else None,
            reset / 1000.0 if reset is not None else None,
        )


@dataclass
class _Slot:
    finished: float | None = None


@dataclass
class _Budget:
    limit: int
    slots: list[_Slot] = field(default_factory=list)
    blocked_until: float = 0.0


class Pacer:
    """Blocks callers so that no endpoint exceeds its limit; thread-safe, never sleeps locked.

    :param limits: requests per window, per endpoint path (endpoints not listed are not paced
        until Bybit's headers name their limit)
    :param margin: seconds added to the window and to an announced reset
    :param clock: unix time in seconds (Bybit's reset timestamps are unix milliseconds)
    """

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        window: float = 1.0,
        margin: float = 0.03,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._window = window
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}
        self.set_limits(limits if limits is not None else UTA2_LIMITS)

    def set_limits(self, limits: Mapping[str, int]) -> None:
        """Use ``limits`` from now on (e.g. once the account type is known)."""
        with self._lock:
            for endpoint, limit in limits.items():
                self._budgets.setdefault(endpoint, _Budget(limit)).limit = limit

    @contextmanager
    def slot(self, endpoint: str) -> Iterator[None]:
        """Hold one slot of ``endpoint`` around the request made inside the block."""
        booked = self._acquire(endpoint)
        try:
            yield
        finally:
            if booked is not None:
                with self._lock:
                    booked.finished = self._clock()

    def observe(self, endpoint: str, headers: RateHeaders) -> None:
        """Take Bybit's word from one answer: its limit, and a wait when nothing is left."""
        with self._lock:
            budget = self._budget(endpoint, headers.limit)
            if budget is None:
                return
            if headers.limit is not None and headers.limit > 0:
                budget.limit = headers.limit
            if headers.remaining is not None and headers.remaining <= 0 and headers.reset:
                budget.blocked_until = max(budget.blocked_until, headers.reset + self._margin)

    def rate_limited(self, endpoint: str, headers: RateHeaders) -> float:
        """An answer was 10006: wait until the announced reset. Returns the seconds to wait."""
        with self._lock:
            now = self._clock()
            until = (headers.reset or now + self._window) + self._margin
            budget = self._budget(endpoint, headers.limit)
            if budget is not None:
                budget.blocked_until = max(budget.blocked_until, until)
            return max(0.0, until - now)

    def _budget(self, endpoint: str, limit: int | None) -> _Budget | None:
        budget = self._budgets.get(endpoint)
        if budget is None and limit:
            budget = self._budgets[endpoint] = _Budget(limit)
        return budget

    def _acquire(self, endpoint: str) -> _Slot | None:
        while True:
            with self._lock:
                budget = self._budgets.get(endpoint)
                if budget is None:
                    return None
                wait = self._book_or_wait(budget)
                if isinstance(wait, _Slot):
                    return wait
            self._sleep(max(wait, 0.001))

    def _book_or_wait(self, budget: _Budget) -> _Slot | float:
        now = self._clock()
        if now < budget.blocked_until:
            return budget.blocked_until - now
        window = self._window + self._margin
        budget.slots = [
            slot for slot in budget.slots if slot.finished is None or now - slot.finished < window
        ]
        if len(budget.slots) < budget.limit:
            booked = _Slot()
            budget.slots.append(booked)
            return booked
        finished = [slot.finished for slot in budget.slots if slot.finished is not None]
        return window - (now - min(finished)) if finished else 0.01
