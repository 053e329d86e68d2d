"""
Run one exchange request under pacing, Bybit's rate-limit headers and the retry policy.

Retries go by what failed (its :class:`~freqtrade_bybit_margin.model.FailureKind`): transient
failures are tried again with back-off inside a time budget; a 10006 waits for the reset Bybit
announced and does not use up an attempt; refusals and "not modified" answers are raised at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.client.rest import HeaderTap, signed
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import FailureKind
from freqtrade_bybit_margin.service.pacing import Pacer, RateHeaders


__all__ = ["Caller", "Counter", "RetryPolicy"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of transient failures: exponential back-off, bounded in tries and in time.

    :param attempts: tries in all per request, the first included (10006 waits not counted)
    :param deadline: seconds after the first try when no new try starts
    """

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 2.0
    deadline: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt``."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class Counter:
    """Requests sent for one pair (every try counts)."""

    def __init__(self) -> None:
        self.sent = 0


class Caller:
    """Sends signed requests on one ccxt instance, paced and retried.

    :param exchange: sync ``ccxt.bybit`` with credentials
    :param tap: the response headers of the instance's answers (None: pace by own count only)
    """

    def __init__(
        self,
        exchange: Any,
        pacer: Pacer,
        retry: RetryPolicy,
        *,
        tap: HeaderTap | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._exchange = exchange
        self._pacer = pacer
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._tap = tap

    def get(
        self, endpoint: Endpoint, params: Mapping[str, Any], counter: Counter | None = None
    ) -> Any:
        """A signed GET; returns the envelope."""
        return self.run(endpoint, lambda: signed(self._exchange, "GET", endpoint, params), counter)

    def post(
        self, endpoint: Endpoint, body: Mapping[str, Any], counter: Counter | None = None
    ) -> Any:
        """A signed POST; returns the envelope."""
        return self.run(endpoint, lambda: signed(self._exchange, "POST", endpoint, body), counter)

    def run(self, endpoint: Endpoint, thunk: Callable[[], Any], counter: Counter | None) -> Any:
        """Run ``thunk`` (one request to ``endpoint``) until it succeeds or may not be retried."""
        started = self._clock()
        attempt = 0
        while True:
            headers = RateHeaders(None, None, None)
            try:
                if counter is not None:
                    counter.sent += 1
                with self._pacer.slot(endpoint):
                    try:
                        return thunk()
                    finally:
                        headers = RateHeaders.parse(self._tap.take() if self._tap else None)
                        self._pacer.observe(endpoint, headers)
            except ccxt.BaseError as error:
                failure = classify(error)
                late = self._clock() - started >= self._retry.deadline
                if failure.kind is FailureKind.RATE_LIMITED and not late:
                    wait = self._pacer.rate_limited(endpoint, headers)
                    logger.info("%s: 10006, waiting %.2f s for Bybit's reset", endpoint, wait)
                    continue
                attempt += 1
                if not failure.retryable or attempt >= self._retry.attempts or late:
                    raise
                delay = self._retry.delay(attempt)
                logger.info("%s: %s; retrying in %.2f s", endpoint, failure.reason, delay)
                self._sleep(delay)
