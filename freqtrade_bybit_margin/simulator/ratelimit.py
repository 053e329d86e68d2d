"""
Per-UID, per-endpoint rolling one-second rate limiter with Bybit's response headers.

https://bybit-exchange.github.io/docs/v5/rate-limit
"""

import logging
from collections import deque
from dataclasses import dataclass

from freqtrade_bybit_margin.simulator.rules import DEFAULT_RATE_LIMIT, RATE_LIMITS


logger = logging.getLogger(__name__)

WINDOW_MS = 1000


@dataclass(frozen=True)
class LimitDecision:
    """Whether a call may proceed, and the ``X-Bapi-Limit*`` headers to send."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Rolling-window counters keyed by ``(uid, path)``; rejected calls are not counted."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = dict(RATE_LIMITS if limits is None else limits)
        self._hits: dict[tuple[str, str], deque[int]] = {}

    def limit_for(self, path: str) -> int:
        """Requests per second allowed on ``path``."""
        return self.limits.get(path, DEFAULT_RATE_LIMIT)

    def hit(self, uid: str, path: str, now_ms: int) -> LimitDecision:
        """Count one call at ``now_ms`` if the window has room."""
        limit = self.limit_for(path)
        hits = self._hits.setdefault((uid, path), deque())
        while hits and hits[0] <= now_ms - WINDOW_MS:
            hits.popleft()
        allowed = len(hits) < limit
        if allowed:
            hits.append(now_ms)
        reset = hits[0] + WINDOW_MS if not allowed else now_ms
        headers = {
            "X-Bapi-Limit": str(limit),
            "X-Bapi-Limit-Status": str(max(limit - len(hits), 0)),
            "X-Bapi-Limit-Reset-Timestamp": str(reset),
        }
        return LimitDecision(allowed, headers)

    def reset(self) -> None:
        """Forget every counted call."""
        self._hits.clear()
