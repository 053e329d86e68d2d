"""
Per-UID, per-endpoint rolling one-second rate limiter and Bybit's ``X-Bapi-Limit*`` headers.

https://bybit-exchange.github.io/docs/v5/rate-limit : "The API rate limit is based on the
rolling time window per second and UID"; every response carries ``X-Bapi-Limit`` (the limit
of the endpoint), ``X-Bapi-Limit-Status`` (remaining requests) and
``X-Bapi-Limit-Reset-Timestamp`` ("when your request limit resets if you have exceeded your
rate_limit. Otherwise, this is just the current timestamp"). Refused calls are not counted
(a modelling choice: Bybit does not say).

A :class:`BudgetHog` is "another client" on the same UID: it spends the window of one endpoint
for a while, as a second bot or a script on the account would.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


WINDOW_MS = 1000
H_LIMIT = "X-Bapi-Limit"
H_STATUS = "X-Bapi-Limit-Status"
H_RESET = "X-Bapi-Limit-Reset-Timestamp"

#: (uid, path, bucket) of one rolling window
WindowKey = tuple[int, str, str]
#: (path, bucket) -> requests per rolling second
LimitOf = Callable[[str, str], int]


def prune(hits: deque[int], now_ms: int) -> None:
    """Drop the calls of ``hits`` that left the rolling second ending at ``now_ms``."""
    while hits and hits[0] <= now_ms - WINDOW_MS:
        hits.popleft()


def limit_headers(limit: int, remaining: int, reset_ms: int) -> dict[str, str]:
    """The three ``X-Bapi-Limit*`` headers.

    :param limit: requests per second on the endpoint
    :param remaining: requests left in the window after this one
    :param reset_ms: when the window frees a slot (if exceeded), else the current time
    :return: header name -> value
    """
    return {H_LIMIT: str(limit), H_STATUS: str(max(remaining, 0)), H_RESET: str(reset_ms)}


@dataclass(frozen=True)
class LimitDecision:
    """Whether a call may proceed, and the ``X-Bapi-Limit*`` headers to send."""

    allowed: bool
    headers: dict[str, str]


@dataclass
class BudgetHog:
    """Another client on the UID, greedy on one endpoint from ``start_ms`` until ``end_ms``:
    it holds up to ``per_second`` calls of every rolling second, taking each slot the moment
    it frees (as a bot retrying at once would). ``counted`` is how many of its calls got in."""

    key: WindowKey
    start_ms: int
    end_ms: int
    per_second: int
    cursor: int = -1
    counted: int = 0
    own: deque[int] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.cursor < 0:
            self.cursor = self.start_ms

    def spend(self, hits: deque[int], limit: int, now_ms: int) -> None:
        """Take free slots of the window ``hits`` at every moment one frees, up to ``now_ms``."""
        t = self.cursor
        while t <= now_ms and t < self.end_ms:
            prune(hits, t)
            prune(self.own, t)
            room = min(limit - len(hits), self.per_second - len(self.own))
            for _ in range(max(room, 0)):
                hits.append(t)
                self.own.append(t)
                self.counted += 1
            t = max(hits[0] + WINDOW_MS if hits else t + 1, t + 1)
        self.cursor = t


class RateLimiter:
    """Rolling-window counters keyed by ``(uid, path, bucket)``.

    :param limit_of: the limit of ``(path, bucket)``
    """

    def __init__(self, limit_of: LimitOf) -> None:
        self.limit_of = limit_of
        self._hits: dict[WindowKey, deque[int]] = {}
        self.hogs: list[BudgetHog] = []

    def hit(self, uid: int, path: str, bucket: str, now_ms: int, *, window: str) -> LimitDecision:
        """Count one call at ``now_ms`` if the window has room.

        :param uid: the caller's UID
        :param path: the endpoint
        :param bucket: the category that selects the limit
        :param now_ms: the clock
        :param window: the bucket that selects the counter (``""``: one per endpoint)
        :return: allowed or not, and the headers
        """
        key = (uid, path, window)
        limit = self.limit_of(path, bucket)
        self._run_hogs(key, limit, now_ms)
        hits = self._window(key, now_ms)
        allowed = len(hits) < limit
        if allowed:
            hits.append(now_ms)
        reset = now_ms if allowed else hits[0] + WINDOW_MS
        return LimitDecision(allowed, limit_headers(limit, limit - len(hits), reset))

    def occupy(
        self, key: WindowKey, *, start_ms: int, seconds: float, per_second: int | None, limit: int
    ) -> BudgetHog:
        """Start another client spending the window ``key``.

        :param key: ``(uid, path, window bucket)``
        :param start_ms: its first call
        :param seconds: how long it keeps calling
        :param per_second: its rate (``None``: the endpoint's limit, i.e. saturate)
        :param limit: the endpoint's limit
        :return: the client, whose ``counted`` says how many of its calls got through
        :raise ValueError: for a non-positive duration or rate
        """
        rate = limit if per_second is None else per_second
        if seconds <= 0 or rate <= 0:
            raise ValueError(f"seconds ({seconds}) and per_second ({rate}) must be positive")
        hog = BudgetHog(key, start_ms, start_ms + int(seconds * 1000), rate)
        self.hogs.append(hog)
        return hog

    def reset(self) -> None:
        """Forget every counted call and every other client."""
        self._hits.clear()
        self.hogs.clear()

    def _window(self, key: WindowKey, now_ms: int) -> deque[int]:
        hits = self._hits.setdefault(key, deque())
        prune(hits, now_ms)
        return hits

    def _run_hogs(self, key: WindowKey, limit: int, now_ms: int) -> None:
        for hog in self.hogs:
            if hog.key == key:
                hog.spend(self._hits.setdefault(key, deque()), limit, now_ms)
