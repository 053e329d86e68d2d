"""
Run one exchange request under pacing, Bybit's rate-limit headers and the retry policy.

Retries go by what failed (its :class:`~freqtrade_bybit_margin.model.FailureKind`):

- transient failures are tried again with back-off inside a time budget;
- a 10006 waits for the reset Bybit announced and does not use up an attempt; but 10006 after
  10006 for one endpoint and symbol (Bybit also throttles per symbol) waits longer each time,
  exponentially (never less than the announced reset), across requests, until an answer that is
  not 10006; a request whose next try would start after its deadline gives up at once
  (:class:`~freqtrade_bybit_margin.client.classify.Throttled`, RATE_LIMITED, naming the symbol);
- an IP ban (HTTP 403) pauses every request of the pacer (:meth:`Pacer.ip_banned`) and is raised
  at once, as is every request made during the pause, without sending
  (:class:`~freqtrade_bybit_margin.client.classify.IpBanPause`, IP_BANNED);
- refusals and "not modified" answers are raised at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import IpBanPause, Throttled, Withheld, classify, utc
from freqtrade_bybit_margin.client.rest import HeaderTap, signed
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import FailureKind
from freqtrade_bybit_margin.service.pacing import Pacer, RateHeaders, Ticket


__all__ = ["Caller", "Counter", "RetryPolicy"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of transient failures: exponential back-off, bounded in tries and in time; and
    the back-off of an endpoint (for one symbol) that answers 10006 again and again.

    :param attempts: tries in all per request, the first included (10006 waits not counted)
    :param deadline: seconds after the first try when no new try starts
    :param throttle_free: 10006 answers in a row that wait only for Bybit's announced reset
    :param throttle_base: the wait after one more (at least the announced reset), doubling with
        each further 10006 in a row, up to ``throttle_max``
    """

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 2.0
    deadline: float = 30.0
    throttle_free: int = 2
    throttle_base: float = 2.0
    throttle_max: float = 120.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt``."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def throttle_delay(self, streak: int) -> float:
        """Least seconds to wait after the ``streak``-th 10006 in a row (0: the reset alone)."""
        if streak <= self.throttle_free:
            return 0.0
        steps = streak - self.throttle_free - 1
        return float(min(self.throttle_max, self.throttle_base * 2**steps))


class Counter:
    """Requests sent for one pair (every try that was sent counts)."""

    def __init__(self) -> None:
        self.sent = 0


@dataclass
class _Streak:
    count: int = 0
    not_before: float = 0.0


class _Throttles:
    """10006 answers in a row per (endpoint, symbol), and when the next try may start."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._streaks: dict[tuple[str, str], _Streak] = {}

    def hit(self, key: tuple[str, str], now: float, reset_wait: float) -> _Streak:
        """One more 10006; the next try waits for the reset and the streak's back-off."""
        with self._lock:
            streak = self._streaks.setdefault(key, _Streak())
            streak.count += 1
            wait = max(reset_wait, self._policy.throttle_delay(streak.count))
            streak.not_before = max(streak.not_before, now + wait)
            return _Streak(streak.count, streak.not_before)

    def clear(self, key: tuple[str, str]) -> None:
        """An answer that is not 10006: the streak is over."""
        with self._lock:
            self._streaks.pop(key, None)

    def next_try(self, key: tuple[str, str]) -> _Streak | None:
        with self._lock:
            streak = self._streaks.get(key)
            return _Streak(streak.count, streak.not_before) if streak else None


class Caller:
    """Sends signed requests on one ccxt instance, paced and retried; thread-safe.

    :param exchange: sync ``ccxt.bybit`` with credentials
    :param pacer: shared by every thread of the service (it also holds the IP ban's pause)
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
        self._throttles = _Throttles(retry)

    def get(
        self, endpoint: Endpoint, params: Mapping[str, Any], counter: Counter | None = None
    ) -> Any:
        """A signed GET; returns the envelope."""
        return self.run(
            endpoint,
            lambda: signed(self._exchange, "GET", endpoint, params),
            counter,
            symbol=_symbol(params),
        )

    def post(
        self, endpoint: Endpoint, body: Mapping[str, Any], counter: Counter | None = None
    ) -> Any:
        """A signed POST; returns the envelope."""
        return self.run(
            endpoint,
            lambda: signed(self._exchange, "POST", endpoint, body),
            counter,
            symbol=_symbol(body),
        )

    def run(
        self,
        endpoint: Endpoint,
        thunk: Callable[[], Any],
        counter: Counter | None,
        *,
        symbol: str | None = None,
    ) -> Any:
        """
        Run ``thunk`` (one request to ``endpoint``) until it succeeds or may not be retried.

        :param symbol: the request's symbol: 10006 answers in a row are counted per endpoint
            and symbol
        :raise ccxt.BaseError: the failure (classify it with
            :func:`~freqtrade_bybit_margin.client.classify.classify`)
        """
        key = (str(endpoint), symbol or "")
        deadline = self._clock() + self._retry.deadline
        attempt = 0
        while True:
            self._pacer.check_paused()
            self._wait_for_throttle(key, deadline)
            try:
                result = self._send(key, thunk, counter)
            except Withheld:
                raise
            except ccxt.BaseError as error:
                failure = self._banned(error)
                if failure.kind is FailureKind.RATE_LIMITED:
                    continue  # the wait was booked by _send
                attempt += 1
                late = self._clock() >= deadline
                # BLOCKED (110024 / 110028: a position or an order) does not clear in seconds:
                # the pair's own back-off tries again
                again = failure.retryable and failure.kind is not FailureKind.BLOCKED
                if not again or attempt >= self._retry.attempts or late:
                    raise
                delay = self._retry.delay(attempt)
                logger.info("%s: %s; retrying in %.2f s", endpoint, failure.reason, delay)
                self._sleep(delay)
            else:
                self._throttles.clear(key)
                return result

    def own(self, thunk: Callable[[], Any]) -> Any:
        """
        Run one of ccxt's own request sequences (loading markets, typing the account): not
        paced or retried here (ccxt does its own), but held during an IP ban's pause, and a 403
        starts one as any request's does.

        :raise ccxt.BaseError: the failure
        """
        self._pacer.check_paused()
        try:
            return thunk()
        except Withheld:
            raise
        except ccxt.BaseError as error:
            self._banned(error)
            raise

    def _banned(self, error: ccxt.BaseError) -> Any:
        """``error`` classified; an IP ban pauses the pacer and is raised as
        :class:`IpBanPause`."""
        failure = classify(error)
        if failure.kind is FailureKind.IP_BANNED:
            until = self._pacer.ip_banned(failure.reason)
            raise IpBanPause(f"{failure.reason}; requests resume at {utc(until)}", until) from error
        return failure

    def _send(self, key: tuple[str, str], thunk: Callable[[], Any], counter: Counter | None) -> Any:
        """One try in one of the endpoint's slots. Bybit's headers go to the pacer; a 10006
        books the wait for Bybit's reset and grows the key's streak."""
        endpoint = key[0]
        with self._pacer.slot(endpoint) as ticket:
            if counter is not None:
                counter.sent += 1
            try:
                result = thunk()
            except ccxt.BaseError as error:
                headers = self._headers()
                if classify(error).kind is FailureKind.RATE_LIMITED:
                    self._throttled(key, headers, ticket)
                else:
                    self._pacer.observe(endpoint, headers, ticket)
                raise
            self._pacer.observe(endpoint, self._headers(), ticket)
            return result

    def _headers(self) -> RateHeaders:
        return RateHeaders.parse(self._tap.take() if self._tap else None)

    def _throttled(self, key: tuple[str, str], headers: RateHeaders, ticket: Ticket | None) -> None:
        """A 10006: the endpoint waits for Bybit's reset; the key's streak grows."""
        endpoint, symbol = key
        wait = self._pacer.rate_limited(endpoint, headers, ticket)
        streak = self._throttles.hit(key, self._clock(), wait)
        logger.info(
            "%s%s: 10006 (%d in a row), next try in %.2f s",
            endpoint,
            f" {symbol}" if symbol else "",
            streak.count,
            streak.not_before - self._clock(),
        )

    def _wait_for_throttle(self, key: tuple[str, str], deadline: float) -> None:
        """Sleep until the key's next try may start.

        :raise Throttled: when that is after ``deadline`` (nothing is sent)
        """
        streak = self._throttles.next_try(key)
        if streak is None:
            return
        now = self._clock()
        if streak.not_before > deadline:
            endpoint, symbol = key
            what = f"{symbol} is" if symbol else f"{endpoint} is"
            raise Throttled(
                f"{what} throttled by Bybit: {streak.count} answers 10006 (too many visits) in "
                f"a row on {endpoint}; next try not before {utc(streak.not_before)}",
                streak.not_before,
            )
        if streak.not_before > now:
            self._sleep(streak.not_before - now)


def _symbol(params: Mapping[str, Any]) -> str | None:
    value = params.get("symbol")
    return value if isinstance(value, str) and value else None
