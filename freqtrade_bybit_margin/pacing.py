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
from collections import deque
from collections.abc import Callable, Mapping

from freqtrade_bybit_margin.constants import Path


#: Documented per-UID limits (requests per second, UTA2.0 Pro table). switch-isolated is not
#: listed any more; ccxt gives it the same cost as set-leverage (10/s).
DOCUMENTED_LIMITS: Mapping[str, int] = {
    Path.SWITCH_ISOLATED: 10,
    Path.SET_LEVERAGE: 10,
    Path.SET_MARGIN_MODE: 5,
    Path.POSITION_LIST: 50,
    Path.POSITION_SYMBOL_INFO: 10,
    Path.ORDER_REALTIME: 50,
    Path.ACCOUNT_INFO: 50,
    Path.QUERY_API: 10,
}


class Pacer:
    """Blocks callers so that no endpoint exceeds its limit in any rolling window.

    Thread-safe; the lock is never held while sleeping.

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
        self._sent: dict[str, deque[float]] = {}

    def acquire(self, endpoint: str) -> None:
        """Wait until one more call to ``endpoint`` fits in the window, and book it."""
        limit = self._limits.get(endpoint)
        if limit is None:
            return
        while True:
            with self._lock:
                now = self._clock()
                sent = self._sent.setdefault(endpoint, deque())
                while sent and now - sent[0] >= self._window:
                    sent.popleft()
                if len(sent) < limit:
                    sent.append(now)
                    return
                wait = self._window - (now - sent[0])
            self._sleep(max(wait, 0.001))
