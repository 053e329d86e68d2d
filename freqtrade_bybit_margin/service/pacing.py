"""
Pacing under Bybit's per-UID, per-endpoint rate limits, by what Bybit itself says, and the pause
an IP ban imposes on every request.

Bybit counts private calls per UID and endpoint in a rolling one-second window, answers ``10006``
beyond it, and tells every caller where it stands in three headers: ``X-Bapi-Limit`` (the limit),
``X-Bapi-Limit-Status`` (requests left) and ``X-Bapi-Limit-Reset-Timestamp`` (ms; when the limit
resets if it is exhausted, otherwise about now). https://bybit-exchange.github.io/docs/v5/rate-limit

The budget is the UID's, shared by every bot, script and person on the account, so a pacer that
counts only its own requests cannot know what is left. This one does three things:

- its own requests: a request holds a place from the moment it is booked until one window
  after it finished (the exchange counts arrivals, which fall anywhere in between), so on its
  own it never exceeds the limit in any window and needs no 10006 to find out;
- the others' requests, read from the headers: ``limit - remaining`` requests were in the
  window when Bybit counted one of ours; those that are not ours are the others'. The first
  two requests on an endpoint go one at a time: the others that arrived between them are the
  clients sending now, and this pacer's place among them is how many came before its first.
  Each client then holds its share of the window (the limit split evenly, the remainder
  passed round window after window, so that all of them get the same over time) and, when one
  of its requests leaves the window, the next takes its place (the others count on that place
  being taken, as it counts on theirs). When the others stop, it takes the whole window.
  Bots that start together on one UID thus share the window instead of bursting into each
  other's, at the rate a single bot reaches (a client that started while the others were
  already sending may count them wrong: a 10006 then plans for one client more);
- Bybit's word: when the headers say nothing is left, or an answer is 10006, the endpoint waits
  until the announced reset (plus a small margin), never less; a 10006 also costs this pacer
  one place of its share.

An IP ban (HTTP 403 "access too frequent": "terminate all HTTP sessions and wait for at least 10
minutes") pauses every endpoint: while it lasts, :meth:`Pacer.slot` raises
:class:`~freqtrade_bybit_margin.client.classify.IpBanPause` at once, in every thread, instead of
sending or sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from freqtrade_bybit_margin.client.classify import IpBanPause, utc
from freqtrade_bybit_margin.constants import AccountType, Endpoint


__all__ = ["IP_BAN_PAUSE", "Pacer", "RateHeaders", "Ticket", "limits_for"]

logger = logging.getLogger(__name__)

#: Documented per-UID limits (requests per second), UTA2.0 Pro table
#: (https://bybit-exchange.github.io/docs/v5/rate-limit). switch-isolated is in no V5 table; ccxt
#: gives it the cost of set-leverage (10/s). symbol-info is not listed: 10/s assumed.
UTA2_LIMITS: Mapping[str, int] = {
    Endpoint.SWITCH_ISOLATED: 10,
    Endpoint.SET_LEVERAGE: 10,
    Endpoint.SWITCH_POSITION_MODE: 10,
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

#: Seconds every request waits after an IP ban: "wait for at least 10 minutes" (rate-limit page)
IP_BAN_PAUSE = 600.0


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


@dataclass(eq=False)
class Ticket:
    """One booked request: when it was booked and when its answer came (None: in flight)."""

    booked: float
    finished: float | None = None


@dataclass
class _Budget:
    """One endpoint's window as this pacer sees it (see the module's docstring)."""

    limit: int
    slots: list[Ticket] = field(default_factory=list)
    """This pacer's requests in the window (booked, in flight or finished within it)."""
    blocked_until: float = 0.0
    share: int | None = None
    """Places this pacer holds in the window now; None until two answers told who is there."""
    extra: int = 0
    """Places to take in this window once the held ones are taken again."""
    probes: list[int] = field(default_factory=list)
    """The others' requests in the window at the first answers."""
    clients: int = 1
    position: int = 0
    window: int = 0
    booked: int = 0
    """Requests booked in this window."""
    last_booked: float = -1e18
    rtt: float = 0.0
    """Seconds from booking a request to its answer (moving average)."""
    blind: bool = False
    """Bybit's answers carry no headers: pace by the limit alone."""
    alone_since: float | None = None

    def planned(self, window: int) -> int:
        """This pacer's share of ``window``: the limit split evenly among the clients, the
        remainder passed round (over n windows each client gets the same)."""
        n, p, per = self.clients, self.position, self.limit
        return ((window + 1) * per + p) // n - (window * per + p) // n

    def book_or_wait(self, now: float, hold: float) -> Ticket | float:
        """A ticket when this pacer may send now, else the seconds until it may."""
        if now < self.blocked_until:
            return self.blocked_until - now
        self.slots = [s for s in self.slots if s.finished is None or now - s.finished < hold]
        own = len(self.slots)
        flying = sum(s.finished is None for s in self.slots)
        if self.share is not None and not flying and now - self.last_booked > 2 * hold:
            self.share, self.probes = None, []  # idle for long: who is there now?
        if self.share is not None and own < self.share and now - self.last_booked > hold / 2:
            self.window += 1  # the places of the last window come free: a new window
            target = max(1, self.planned(self.window))
            self.share, self.extra = min(self.share, target), max(0, target - self.share)
            self.booked, self.last_booked = 0, now
        if self.blind or self.share is None:
            room = own < self.limit and (self.blind or not flying)
        elif own < min(self.share, self.limit):
            room = True  # a place this pacer holds came free: taken again at once
        elif self.extra and self.booked >= self.share and now - self.last_booked >= self.rtt:
            room, self.extra, self.share = True, self.extra - 1, self.share + 1
        else:
            room = False
        if room:
            ticket = Ticket(now)
            self.slots.append(ticket)
            self.last_booked, self.booked = now, self.booked + 1
            return ticket
        frees = [s.finished + hold for s in self.slots if s.finished is not None]
        if self.extra and self.share is not None and self.booked >= self.share:
            frees.append(self.last_booked + self.rtt)
        return max(_POLL, min(frees) - now) if frees and not flying else _POLL

    def seen(self, remaining: int | None, ticket: Ticket | None, now: float, hold: float) -> None:
        """Bybit counted the request of ``ticket`` and left ``remaining`` (None: no headers)."""
        if remaining is None:
            self.blind = self.blind or self.share is None
            return
        self.blind = False
        if ticket is not None:
            took = now - ticket.booked
            self.rtt = 0.8 * self.rtt + 0.2 * took if self.rtt else took
        counted = pending = 0
        for s in self.slots:
            if s is ticket or (s.finished is not None and s.finished > now - hold):
                counted += 1
            elif s.finished is None:
                landed = ticket is not None and s.booked < ticket.booked
                counted, pending = counted + landed, pending + (not landed)
        others = max(0, self.limit - remaining - counted)
        self.alone_since = (
            None if others else (now if self.alone_since is None else self.alone_since)
        )
        if self.share is None:
            self.probes.append(others)
            if len(self.probes) == 2:
                before, after = self.probes
                self.clients = max(1, after - before + 1)
                self.position, self.window = min(before, self.clients - 1), 0
                room = counted + max(0, remaining - pending)  # never what others visibly hold
                self.share = max(1, min(self.planned(0), room))
        elif (
            self.clients > 1 and self.alone_since is not None and now - self.alone_since > hold / 2
        ):
            self.clients, self.position = 1, 0  # the others are gone: the window is this one's
            self.extra = max(0, self.limit - self.share)

    def refused(self, ticket: Ticket | None) -> None:
        """A 10006: Bybit did not count ``ticket``'s request; this pacer holds a place less and
        plans for one client more (or asks who is there again, if it was still asking)."""
        if ticket is not None and ticket in self.slots:
            self.slots.remove(ticket)
        if self.share is None:
            self.probes = []
        else:  # more clients than counted: plan for one more
            self.share = max(1, self.share - 1)
            self.clients = min(self.limit, self.clients + 1)
        self.extra = 0


#: seconds between two looks at a budget that waits for one of its own answers
_POLL = 0.005


class Pacer:
    """Blocks callers so that no endpoint exceeds its limit; thread-safe, never sleeps locked.

    :param limits: requests per window, per endpoint path (endpoints not listed are not paced
        until Bybit's headers name their limit)
    :param margin: seconds added to the window and to an announced reset
    :param clock: unix time in seconds (Bybit's reset timestamps are unix milliseconds)
    :param ip_pause: seconds every request is paused after an IP ban (HTTP 403)
    :param on_pause: called once per pause with a one-line announcement naming when requests
        resume (UTC); the pause is also logged here as a WARNING
    """

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        window: float = 1.0,
        margin: float = 0.03,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        ip_pause: float = IP_BAN_PAUSE,
        on_pause: Callable[[str], None] | None = None,
    ) -> None:
        self._window = window
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._ip_pause = ip_pause
        self._on_pause = on_pause
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}
        self._paused_until = 0.0
        self.set_limits(limits if limits is not None else UTA2_LIMITS)

    def set_limits(self, limits: Mapping[str, int]) -> None:
        """Use ``limits`` from now on (e.g. once the account type is known)."""
        with self._lock:
            for endpoint, limit in limits.items():
                self._budgets.setdefault(endpoint, _Budget(limit)).limit = limit

    # -- the IP ban -----------------------------------------------------------------------------

    @property
    def paused_until(self) -> float | None:
        """Unix time when the IP ban's pause ends; None when requests are not paused."""
        with self._lock:
            return self._paused_until if self._clock() < self._paused_until else None

    def ip_banned(self, reason: str) -> float:
        """
        Bybit answered HTTP 403 for the IP limit: pause every request for ``ip_pause`` seconds
        from now. Announced once per pause (a later 403 of a request already in flight extends
        it silently).

        :param reason: what Bybit answered, one line (the announcement begins with it)
        :return: when requests resume (unix time)
        """
        with self._lock:
            now = self._clock()
            fresh = now >= self._paused_until
            self._paused_until = max(self._paused_until, now + self._ip_pause)
            until = self._paused_until
        if fresh:
            message = (
                f"{reason}. Every Bybit request of the plugin is paused for "
                f"{self._ip_pause / 60:g} minutes, until {utc(until)}: no pair is prepared or "
                "read before then (other bots and scripts on this IP should pause too)."
            )
            logger.warning("%s", message)
            if self._on_pause is not None:
                self._on_pause(message)
        return until

    def check_paused(self) -> None:
        """
        Nothing to do unless an IP ban's pause lasts.

        :raise IpBanPause: while it lasts (for a caller about to send)
        """
        with self._lock:
            self._raise_if_paused(self._clock())

    def _raise_if_paused(self, now: float) -> None:
        if now < self._paused_until:
            until = self._paused_until
            raise IpBanPause(
                f"not sent: Bybit banned this IP for too many requests (HTTP 403); requests "
                f"resume at {utc(until)}",
                until,
            )

    # -- per-endpoint pacing --------------------------------------------------------------------

    @contextmanager
    def slot(self, endpoint: str) -> Iterator[Ticket | None]:
        """
        Hold one slot of ``endpoint`` around the request made inside the block.

        :return: the request's ticket, for :meth:`observe` (None for an endpoint not paced)
        :raise IpBanPause: at once, while an IP ban's pause lasts (also when it starts while
            this caller waits for a slot)
        """
        booked = self._acquire(endpoint)
        try:
            yield booked
        finally:
            if booked is not None:
                with self._lock:
                    booked.finished = self._clock()

    def observe(self, endpoint: str, headers: RateHeaders, ticket: Ticket | None = None) -> None:
        """
        Take Bybit's word from one answer: its limit, the others' requests in the window, and a
        wait when nothing is left.

        :param ticket: the answered request's, from :meth:`slot` (None: every own request that
            finished within the window counts as counted)
        """
        with self._lock:
            budget = self._budget(endpoint, headers.limit)
            if budget is None:
                return
            if headers.limit is not None and headers.limit > 0:
                budget.limit = headers.limit
            hold = self._window + self._margin
            remaining = None if headers.remaining is None else max(0, headers.remaining)
            budget.seen(remaining, ticket, self._clock(), hold)
            if headers.remaining is not None and headers.remaining <= 0 and headers.reset:
                budget.blocked_until = max(budget.blocked_until, headers.reset + self._margin)

    def rate_limited(
        self, endpoint: str, headers: RateHeaders, ticket: Ticket | None = None
    ) -> float:
        """An answer was 10006: wait until the announced reset. Returns the seconds to wait."""
        with self._lock:
            now = self._clock()
            until = (headers.reset or now + self._window) + self._margin
            budget = self._budget(endpoint, headers.limit)
            if budget is not None:
                budget.blocked_until = max(budget.blocked_until, until)
                budget.refused(ticket)
            return max(0.0, until - now)

    def _budget(self, endpoint: str, limit: int | None) -> _Budget | None:
        budget = self._budgets.get(endpoint)
        if budget is None and limit:
            budget = self._budgets[endpoint] = _Budget(limit)
        return budget

    def _acquire(self, endpoint: str) -> Ticket | None:
        while True:
            with self._lock:
                now = self._clock()
                self._raise_if_paused(now)
                budget = self._budgets.get(endpoint)
                if budget is None:
                    return None
                wait = budget.book_or_wait(now, self._window + self._margin)
                if isinstance(wait, Ticket):
                    return wait
            self._sleep(max(wait, 0.001))
