"""
Injected faults: canned answers for matching calls, in the forms a client meets live.

Kinds (:class:`FaultKind`): a Bybit envelope with any ``retCode`` (10002, 10006 with its
reset header, 10016, a refusal, 10009 / 110132 for a restricted region...), an HTTP error page
(5xx from a gateway; 403 "region not served" from CloudFront), garbled HTTP-200
bodies (an HTML page, an empty body, truncated JSON, an envelope without ``retCode``), a
timeout and a dropped connection. Each fault strikes either before the request is applied
(nothing changes) or after it was applied (``applied=True``: the state changed, but the
client gets no answer or a broken one).

Where it strikes in the pipeline: ``region_blocked`` at the edge, before routing and
authentication; other gateway kinds before the request reaches the exchange (not counted by
the rate limiter, no ``X-Bapi-*`` headers); ``ret_code`` faults are the exchange's
own answers (counted, with headers); ``applied`` faults replace the real answer.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from freqtrade_bybit_margin.constants import AccountType
from freqtrade_bybit_margin.simulator.ipban import DEFAULT_CLIENT_IP, IpGuard
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.ratelimit import BudgetHog, RateLimiter
from freqtrade_bybit_margin.simulator.rules import rate_limit
from freqtrade_bybit_margin.simulator.urls import ROUTES, is_private


class FaultKind(StrEnum):
    """What the client receives instead of the real answer."""

    RET_CODE = "ret_code"
    HTTP_STATUS = "http_status"
    HTML = "html"
    EMPTY = "empty"
    TRUNCATED_JSON = "truncated_json"
    NO_RET_CODE = "no_ret_code"
    TIMEOUT = "timeout"
    DROP = "drop"
    REGION_BLOCKED = "region_blocked"


class Stage(StrEnum):
    """Where in the request pipeline a fault strikes."""

    #: before routing and authentication (a CDN refusing the region)
    EDGE = "edge"
    GATEWAY = "gateway"
    EXCHANGE = "exchange"
    APPLIED = "applied"


#: kinds rendered by something in front of Bybit (a proxy, a CDN, the network)
GATEWAY_KINDS = frozenset(FaultKind) - {FaultKind.RET_CODE}
#: default ``X-Bapi-Limit-Reset-Timestamp`` offset of an injected 10006 (one window)
DEFAULT_RESET_IN_MS = 1000
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} {reason}</title></head><body><center>"
    "<h1>{status} {reason}</h1></center><hr><center>cloudfront</center></body></html>"
)


@dataclass
class Fault:
    """Answer calls matching path/method/symbol with ``kind`` instead of the real answer.

    The first ``after`` matching calls pass untouched; then the fault fires ``times`` times
    (``None`` = forever). ``applied``: the request is applied first, then the answer replaced.
    """

    kind: FaultKind = FaultKind.RET_CODE
    path: str | None = None
    method: str | None = None
    symbol: str | None = None
    ret_code: int | None = None
    ret_msg: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    applied: bool = False
    reset_in_ms: int | None = None
    times: int | None = 1
    after: int = 0
    seen: int = 0
    fired: int = 0

    @classmethod
    def build(
        cls,
        *,
        kind: FaultKind | str | None,
        ret_code: int | None,
        http_status: int | None,
        timeout: bool,
        **fields: Any,
    ) -> "Fault":
        """A fault from :meth:`BybitSimulator.inject_fault`'s arguments, checked.

        The kind defaults from the other arguments: ``timeout=True`` -> ``timeout``,
        ``ret_code`` -> ``ret_code``, ``http_status`` alone -> ``http_status``.

        :raise ValueError: naming the argument, its value and what is allowed
        """
        if kind is None:
            kind = _infer_kind(ret_code, http_status, timeout)
        try:
            kind = FaultKind(kind)
        except ValueError:
            allowed = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"kind {kind!r} is not one of {allowed}") from None
        if kind is FaultKind.RET_CODE and ret_code is None:
            raise ValueError("kind 'ret_code' needs ret_code (e.g. 10016)")
        if kind is FaultKind.HTTP_STATUS and not (http_status and 400 <= http_status <= 599):
            raise ValueError(f"kind 'http_status' needs http_status in 400..599, got {http_status}")
        if kind is FaultKind.REGION_BLOCKED and http_status is None:
            http_status = 403
        times, after = fields.get("times", 1), fields.get("after", 0)
        if (times is not None and times < 1) or after < 0:
            raise ValueError(f"times must be >= 1 or None, after >= 0; got {times}, {after}")
        return cls(kind=kind, ret_code=ret_code, http_status=http_status, **fields)

    @property
    def stage(self) -> Stage:
        """Where this fault strikes."""
        if self.applied:
            return Stage.APPLIED
        if self.kind is FaultKind.REGION_BLOCKED:
            return Stage.EDGE
        return Stage.EXCHANGE if self.kind is FaultKind.RET_CODE else Stage.GATEWAY

    @property
    def label(self) -> str:
        """Short text for the journal, e.g. ``drop/applied`` or ``ret_code 10016``."""
        text = self.kind.value
        if self.kind is FaultKind.RET_CODE:
            text += f" {self.ret_code}"
        elif self.kind is FaultKind.HTTP_STATUS:
            text += f" {self.http_status}"
        return text + ("/applied" if self.applied else "")

    def matches(self, method: str, path: str, symbol: str | None) -> bool:
        """True when the call is one this fault targets."""
        return (
            self.path in (None, path)
            and self.method in (None, method)
            and self.symbol in (None, symbol)
        )

    @property
    def exhausted(self) -> bool:
        """True once it has fired ``times`` times."""
        return self.times is not None and self.fired >= self.times

    def consume(self) -> bool:
        """Count one matching call; True when the fault fires on it."""
        self.seen += 1
        if self.seen <= self.after or self.exhausted:
            return False
        self.fired += 1
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return asdict(self)


def _infer_kind(ret_code: int | None, http_status: int | None, timeout: bool) -> FaultKind:
    if timeout:
        return FaultKind.TIMEOUT
    if ret_code is not None:
        return FaultKind.RET_CODE
    if http_status is not None:
        return FaultKind.HTTP_STATUS
    allowed = ", ".join(k.value for k in FaultKind)
    raise ValueError(f"give kind ({allowed}), ret_code, http_status or timeout=True")


def firing(
    faults: list[Fault], stage: Stage, method: str, path: str, symbol: str | None
) -> Fault | None:
    """The first fault of ``stage`` that fires on this call (each match is counted)."""
    for fault in faults:
        if fault.stage is stage and fault.matches(method, path, symbol) and fault.consume():
            return fault
    return None


def html_page(status: int) -> bytes:
    """A gateway's HTML error (or, with 200, a captive / maintenance page)."""
    reason = {
        200: "OK",
        403: "Forbidden",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    text = HTML_PAGE.format(status=status, reason=reason.get(status, "Error"))
    return text.encode()


def truncated(body: bytes) -> bytes:
    """The first half of ``body`` (at least one byte): JSON that does not parse."""
    return body[: max(len(body) // 2, 1)]


def without_ret_code(body: bytes) -> bytes:
    """The envelope in ``body`` with ``retCode`` removed (or a bare one if unparsable)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data.pop("retCode", None)
    data.setdefault("retMsg", "OK")
    data.setdefault("result", {})
    return json.dumps(data, separators=(",", ":")).encode()


class FaultControls:
    """The fault suite's handles on a simulator (mixed into :class:`~.core.BybitSimulator`):
    inject faults, check they fired, ban an IP, let another client spend the UID's budget."""

    _lock: threading.RLock
    faults: list[Fault]
    ipguard: IpGuard
    limiter: RateLimiter
    knobs: SimKnobs
    account_type: AccountType
    uid: int
    clock: Callable[[], int]

    def inject_fault(
        self,
        *,
        path: str | None = None,
        ret_code: int | None = None,
        times: int | None = 1,
        after: int = 0,
        symbol: str | None = None,
        method: str | None = None,
        http_status: int | None = None,
        timeout: bool = False,
        ret_msg: str | None = None,
        result: dict[str, Any] | None = None,
        kind: FaultKind | str | None = None,
        applied: bool = False,
        reset_in_ms: int | None = None,
    ) -> Fault:
        """Answer matching calls with a fault instead of the real answer; return the fault
        (``fired`` counts its hits).

        :param path: endpoint to hit (``None``: every endpoint, reads included)
        :param ret_code: answer this retCode (kind ``ret_code``; retMsg: Bybit's wording)
        :param times: how many matching calls get the fault (``None`` = forever), once ``after``
            matching calls went through; ``symbol``, ``method``: only calls for this symbol, verb
        :param http_status: an HTTP error page with this status (kind ``http_status``)
        :param timeout: shorthand for ``kind="timeout"``; ``ret_msg``, ``result``: of a retCode
        :param kind: a :class:`FaultKind` value; inferred from the above when omitted
        :param applied: apply the request first, then lose or garble the answer; ``reset_in_ms``:
            the ``X-Bapi-Limit-Reset-Timestamp`` offset of an injected 10006
        :raise ValueError: for an unknown path or kind, or contradicting arguments
        """
        if path is not None and str(path) not in ROUTES:
            raise ValueError(f"path {path!r} is not a simulator route; allowed: {sorted(ROUTES)}")
        fault = Fault.build(
            kind=kind,
            ret_code=ret_code,
            http_status=http_status,
            timeout=timeout,
            path=str(path) if path is not None else None,
            method=method.upper() if method else None,
            symbol=symbol,
            ret_msg=ret_msg,
            result=result or {},
            applied=applied,
            reset_in_ms=reset_in_ms,
            times=times,
            after=after,
        )
        with self._lock:
            self.faults.append(fault)
        return fault

    def refuse(self, *, path: str, symbol: str, ret_code: int, ret_msg: str | None = None) -> Fault:
        """Permanently answer ``ret_code`` to ``path`` calls for ``symbol``."""
        return self.inject_fault(
            path=path, symbol=symbol, ret_code=ret_code, ret_msg=ret_msg, times=None
        )

    def ban_ip(self, seconds: float | None = None, ip: str = DEFAULT_CLIENT_IP) -> int:
        """Ban a client IP from now, as a breach of the IP limit would (HTTP 403 "access too
        frequent" to every request until it ends, whatever ``rate_limits``).

        :param seconds: the ban (default ``SimKnobs.ip_ban_seconds``)
        :param ip: the client (requests-mock traffic and the loopback server: ``127.0.0.1``)
        :return: when the ban ends (epoch ms, simulator clock)
        :raise ValueError: for a ban that is not positive
        """
        length = self.knobs.ip_ban_seconds if seconds is None else seconds
        if length <= 0:
            raise ValueError(f"seconds {seconds!r} is not allowed; allowed: a number > 0")
        with self._lock:
            return self.ipguard.ban(ip, self.clock(), int(length * 1000))

    def clear_faults(self) -> None:
        """Drop every injected fault."""
        with self._lock:
            self.faults.clear()

    def unfired_faults(self) -> list[Fault]:
        """Injected faults that never fired."""
        with self._lock:
            return [f for f in self.faults if f.fired == 0]

    def assert_faults_fired(self) -> None:
        """Strictness for fault tests: every injected fault fired at least once.

        :raise AssertionError: listing the faults that never fired
        """
        left = self.unfired_faults()
        if left:
            names = ", ".join(f"{f.label} on {f.path or 'any path'}" for f in left)
            raise AssertionError(f"{len(left)} injected fault(s) never fired: {names}")

    def spend_budget(
        self,
        path: str,
        *,
        seconds: float,
        per_second: int | None = None,
        category: str | None = None,
        uid: int | None = None,
    ) -> BudgetHog:
        """Let "another client" on the UID call ``path`` for ``seconds`` from now.

        Its calls spend the same rolling window as this simulator's clients, as a second bot
        on the account would (or run a second ccxt client against the same simulator).

        :param path: a private endpoint
        :param seconds: how long it keeps calling
        :param per_second: its rate (default: the endpoint's limit, i.e. saturate the window)
        :param category: the bucket (``category``; ``accountType`` for wallet-balance);
            default ``linear`` where the endpoint takes a category
        :param uid: whose budget (default: the account's)
        :return: the other client (``counted``: how many of its calls got through)
        :raise ValueError: for a public or unknown path, a non-positive duration or rate
        """
        route = ROUTES.get(str(path))
        if route is None or not is_private(str(path)):
            private = sorted(p for p in ROUTES if is_private(p))
            raise ValueError(f"path {path!r} is not a private simulator route; allowed: {private}")
        bucket = category
        if bucket is None:
            bucket = "linear" if route.limit_by == "category" else ""
        window = bucket if self.knobs.rate_window_per_category else ""
        with self._lock:
            return self.limiter.occupy(
                (self.uid if uid is None else uid, str(path), window),
                start_ms=self.clock(),
                seconds=seconds,
                per_second=per_second,
                limit=rate_limit(self.account_type, str(path), bucket),
            )
