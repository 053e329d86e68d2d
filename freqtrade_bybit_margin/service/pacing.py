"""
Client-side pacing under Bybit's per-UID, per-endpoint rate limits.

Bybit counts private calls per UID and endpoint in a rolling one-second window and answers
``10006`` beyond it. ccxt's own throttle spaces calls ~100 ms apart in a single bucket, which
a strict window still catches now and then; pacing ~5 % under the documented figure avoids it.

https://bybit-exchange.github.io/docs/v5/rate-limit
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from freqtrade_bybit_margin.constants import Endpoint


#: Documented per-UID limits (requests per second, UTA2.0 Pro table). switch-isolated is not
#: listed any more; ccxt gives it the same cost as set-leverage (10/s).
DOCUMENTED_LIMITS: Mapping[str, int] = {
    Endpoint.SWITCH_ISOLATED: 10,
    Endpoint.SET_LEVERAGE: 10,
    Endpoint.SET_MARGIN_MODE: 5,
    Endpoint.POSITION_LIST: 50,
    Endpoint.POSITION_SYMBOL_INFO: 10,
    Endpoint.ORDER_REALTIME: 50,
    Endpoint.ACCOUNT_INFO: 50,
    Endpoint.QUERY_API: 10,
}


class Pacer:
    """Blocks callers so that no endpoint exceeds its limit in any rolling window.

    A request holds its slot from the moment it is booked until one window after it has
    finished: the exchange counts arrivals, which fall anywhere in between (ccxt's own throttle
    may delay the send), so this bounds what any server-side window can see. Thread-safe; the
    lock is never held while sleeping.

    :param limits: requests per window, per endpoint path
    :param margin: fraction the window is stretched by (0.05 -> 10 calls per 1.05 s)
    """

    def __init__(
        self,
        limits: Mapping[str, int] = DOCUMENTED_LIMITS,
        *,
        window: float = 1.0,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = dict(limits)
        self._window = window * (1.0 + margin)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, list[_Slot]] = {}

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

    def _acquire(self, endpoint: str) -> _Slot | None:
        limit = self._limits.get(endpoint)
        if limit is None:
            return None
        while True:
            with self._lock:
                now = self._clock()
                slots = [
                    slot
                    for slot in self._slots.get(endpoint, [])
                    if slot.finished is None or now - slot.finished < self._window
                ]
                if len(slots) < limit:
                    booked = _Slot()
                    self._slots[endpoint] = [*slots, booked]
                    return booked
                self._slots[endpoint] = slots
                finished = [s.finished for s in slots if s.finished is not None]
                wait = self._window - (now - min(finished)) if finished else 0.01
            self._sleep(max(wait, 0.001))


class _Slot:
    __slots__ = ("finished",)

    def __init__(self) -> None:
        self.finished: float | None = None
