"""
Clocks for tests: time is never waited for in a test (the suite's timing goals are the
benchmarks'). Each clock gives seconds (``time``), milliseconds (``ms``, the simulator's and
ccxt's unit) and ``sleep``, so the service's pacer and retries, the simulator's rate-limit
windows and ccxt's request timestamps all read ONE clock.
"""

from __future__ import annotations

import threading
import time


START = 1_800_000_000.0


class FakeClock:
    """Moves only when someone sleeps on it: exact and instant, for one thread at a time."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(0.0, seconds)


class FastClock:
    """
    Real time, ``factor`` times faster, shared by any number of threads: what runs
    concurrently still overlaps (a thread's sleep does not move another's time), and waits of
    seconds pass in tenths. Work itself looks ``factor`` times slower, which only ever makes a
    rate limit easier to keep, never a breach invisible.
    """

    def __init__(self, factor: float = 10.0, start: float = START) -> None:
        self.factor = factor
        self._start = start
        self._origin = time.monotonic()

    def __call__(self) -> float:
        return self.time()

    def time(self) -> float:
        return self._start + (time.monotonic() - self._origin) * self.factor

    def ms(self) -> int:
        return int(self.time() * 1000)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.factor)
