"""
The request pipeline: one HTTP request in, one answer out, the same for every transport.

Order, as Bybit's gateway and engine would meet a request: the IP limit (HTTP 403), route
(404 / 400), authentication (HTTP 401 without auth headers, 10003 key, 10002 timestamp, 10004
signature), the key's rights (33004 expired, 10010 IP, 10005 permission), gateway faults, the
per-UID rate limiter (10006, ``X-Bapi-Limit*`` headers), exchange faults (injected retCodes),
body parsing (10001), the handler (the request is applied), then faults that strike after it
was applied.
"""

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import gateway
from freqtrade_bybit_margin.simulator.exceptions import (
    DEFAULT_MESSAGES,
    HttpRefusal,
    InternalServerError,
    MethodNotAllowedError,
    ParamsError,
    SimulatorApiError,
    TooManyVisitsError,
    UnknownPathError,
)
from freqtrade_bybit_margin.simulator.faults import (
    DEFAULT_RESET_IN_MS,
    Fault,
    FaultKind,
    Stage,
    firing,
    html_page,
    truncated,
    without_ret_code,
)
from freqtrade_bybit_margin.simulator.gateway import Host
from freqtrade_bybit_margin.simulator.ipban import DEFAULT_CLIENT_IP, REGION_BLOCKED_PAGE
from freqtrade_bybit_margin.simulator.journal import JournalEntry
from freqtrade_bybit_margin.simulator.ratelimit import limit_headers
from freqtrade_bybit_margin.simulator.responses import SimRequest, envelope, render_error
from freqtrade_bybit_margin.simulator.rules import rate_limit
from freqtrade_bybit_margin.simulator.urls import ROUTES, Route, is_private


logger = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}
HTML_HEADERS = {"Content-Type": "text/html"}


@dataclass(frozen=True)
class SimResponse:
    """What a transport sends back; ``transport`` (``FaultKind.TIMEOUT`` or ``DROP``) asks it
    to time out or drop the connection instead."""

    status: int
    headers: dict[str, str]
    body: bytes
    transport: FaultKind | None = None

    @property
    def timeout(self) -> bool:
        """True when the client must see a timeout."""
        return self.transport is FaultKind.TIMEOUT

    @property
    def dropped(self) -> bool:
        """True when the connection must close without an answer."""
        return self.transport is FaultKind.DROP

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Incoming:
    """One HTTP request as received, with its parsed parameters."""

    method: str
    path: str
    raw_query: str
    raw_body: str
    headers: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any] | None
    body_error: str | None

    @classmethod
    def parse(
        cls, method: str, url: str, headers: dict[str, str], body: bytes | str | None
    ) -> "Incoming":
        """Split the URL, decode the body; a bad POST body becomes ``body_error``."""
        split = urlsplit(url)
        raw_body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body or ""
        method = method.upper()
        parsed, error = _parse_body(method, raw_body)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        return cls(method, split.path, split.query, raw_body, dict(headers), query, parsed, error)

    @property
    def lower_headers(self) -> dict[str, str]:
        """Headers with lower-case names."""
        return {k.lower(): v for k, v in self.headers.items()}

    @property
    def params(self) -> dict[str, Any]:
        """The JSON body (POST) or the query (GET)."""
        return (self.body or {}) if self.method == "POST" else self.query

    @property
    def symbol(self) -> str | None:
        """The ``symbol`` parameter, if a non-empty string."""
        value = self.params.get("symbol")
        return value if isinstance(value, str) and value else None


@dataclass
class Outcome:
    """The answer being built, and what the journal records about it."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))
    body: bytes = b""
    ret_code: int | None = None
    ret_msg: str = ""
    signed: bool = False
    signature_ok: bool | None = None
    transport: FaultKind | None = None
    fault: str | None = None
    at_order: dict[str, Any] | None = None

    def reply(self, code: int, msg: str, result: dict[str, Any], now: int) -> None:
        """A Bybit envelope."""
        self.body = envelope(code, msg, result, now)
        self.ret_code, self.ret_msg = code, msg

    def refuse(self, refusal: HttpRefusal) -> None:
        """A non-JSON answer from in front of the API (401, 403)."""
        self.status, self.headers = refusal.status, {"Content-Type": refusal.content_type}
        self.body = refusal.body.encode()
        self.ret_code, self.ret_msg = None, refusal.label

    def error(self, exc: SimulatorApiError, now: int) -> None:
        """An error envelope (with the error's HTTP status)."""
        self.status = exc.http_status
        self.body = render_error(exc, now)
        self.ret_code, self.ret_msg = exc.code, exc.message

    def response(self) -> SimResponse:
        """What the transport sends."""
        return SimResponse(self.status, dict(self.headers), self.body, self.transport)

    def entry(
        self, seq: int, now: int, req: Incoming, client_ip: str = DEFAULT_CLIENT_IP
    ) -> JournalEntry:
        """The journal's record of this request and answer."""
        return JournalEntry(
            seq=seq,
            time_ms=now,
            method=req.method,
            path=req.path,
            query=req.query,
            body=req.body,
            raw_query=req.raw_query,
            raw_body=req.raw_body,
            headers=req.headers,
            signed=self.signed,
            signature_ok=self.signature_ok,
            http_status=self.status,
            ret_code=self.ret_code,
            ret_msg=self.ret_msg,
            symbol=req.symbol,
            fault=self.fault,
            response_headers=dict(self.headers),
            client_ip=client_ip,
            at_order=self.at_order,
        )


def run(host: Host, req: Incoming, now: int, client_ip: str = DEFAULT_CLIENT_IP) -> Outcome:
    """Answer one ``/v5`` request (the caller holds the simulator's lock).

    :param host: the simulator
    :param req: the request
    :param now: the clock, read once
    :param client_ip: the peer address (IP limit, bound IPs)
    :return: the answer
    """
    out = Outcome()
    try:
        gateway.guard_ip(host, client_ip, now)
        _run(host, req, now, out, client_ip)
    except HttpRefusal as refusal:
        out.refuse(refusal)
    except SimulatorApiError as exc:
        out.error(exc, now)
    except Exception as exc:  # a simulator bug: answer it like Bybit's 10016, never crash
        logger.exception("simulator pipeline failed for %s %s", req.method, req.path)
        out.error(InternalServerError(f"simulator internal error: {exc!r}"), now)
    return out


def _run(host: Host, req: Incoming, now: int, out: Outcome, client_ip: str) -> None:
    route = ROUTES.get(req.path)
    stage_args = (req.method, req.path, req.symbol)
    fault = firing(host.faults, Stage.EDGE, *stage_args)
    if fault is not None:
        return _strike(host, out, fault, req, route, now)
    if route is None:
        raise UnknownPathError(f"simulator: unknown path {req.method} {req.path} (not implemented)")
    if route.method != req.method:
        raise MethodNotAllowedError(
            f"simulator: {req.path} expects {route.method}, got {req.method}"
        )
    private = is_private(req.path)
    payload = req.raw_query if req.method == "GET" else req.raw_body
    api_key, uid = gateway.authenticate(
        host, req.lower_headers, payload, private=private, now=now, marks=out
    )
    if private and api_key is not None:
        gateway.check_access(
            host, api_key, method=req.method, path=req.path, client_ip=client_ip, now=now
        )
    fault = firing(host.faults, Stage.GATEWAY, *stage_args)
    if fault is not None:
        return _strike(host, out, fault, req, route, now)
    if private and host.rate_limits and uid is not None:
        _count(host, req, route, uid, now, out)
    fault = firing(host.faults, Stage.EXCHANGE, *stage_args)
    if fault is not None:
        return _strike(host, out, fault, req, route, now)
    _apply(host, req, route, SimRequest(req.method, req.path, req.params, api_key, uid), now, out)
    fault = firing(host.faults, Stage.APPLIED, *stage_args)
    if fault is not None:
        _strike(host, out, fault, req, route, now)
    return None


def _bucket(req: Incoming, route: Route | None) -> str:
    value = req.params.get(route.limit_by) if route is not None and route.limit_by else None
    return value if isinstance(value, str) else ""


def _count(host: Host, req: Incoming, route: Route, uid: int, now: int, out: Outcome) -> None:
    """Spend one call of the UID's window; 10006 when it is full."""
    bucket = _bucket(req, route)
    window = bucket if host.backend.knobs.rate_window_per_category else ""
    decision = host.limiter.hit(uid, req.path, bucket, now, window=window)
    out.headers.update(decision.headers)
    if not decision.allowed:
        raise TooManyVisitsError()


def _apply(
    host: Host, req: Incoming, route: Route, request: SimRequest, now: int, out: Outcome
) -> None:
    """Run the handler: the request changes the account (or is refused by its rules)."""
    try:
        if req.body_error is not None:
            raise ParamsError(req.body_error)
        host.backend.tick()
        at_order = _margin_at_order(host, req)
        reply = route.handler(host.backend, request)
        out.reply(int(RetCode.OK), reply.ret_msg, reply.result, now)
        if at_order is not None:
            out.at_order = {**at_order, "order_id": reply.result.get("orderId")}
    except SimulatorApiError as exc:
        out.error(exc, now)
    except Exception as exc:
        logger.exception("simulator handler failed for %s %s", req.method, req.path)
        out.error(InternalServerError(f"simulator internal error: {exc!r}"), now)


def _margin_at_order(host: Host, req: Incoming) -> dict[str, Any] | None:
    """For ``order/create``: the symbol's margin settings the order meets, before it is applied
    (what a test compares with the leverage the bot records for the trade)."""
    symbol = req.symbol
    if req.path != Endpoint.ORDER_CREATE or symbol not in host.backend.catalogue.derivatives:
        return None
    state = host.backend.symbol_state(symbol)
    keys = ("trade_mode", "leverage", "sell_leverage", "position_mode", "position_size")
    return {
        **{key: state.get(key) for key in keys},
        "account_margin_mode": host.backend.margin.account_margin_mode,
        "reduce_only": bool((req.body or {}).get("reduceOnly")),
    }


def _strike(
    host: Host, out: Outcome, fault: Fault, req: Incoming, route: Route | None, now: int
) -> None:
    """Replace the answer with what ``fault`` sends."""
    logger.info("simulator: injected fault %s on %s %s", fault.label, req.method, req.path)
    out.fault = fault.label
    kind = fault.kind
    if kind is FaultKind.RET_CODE:
        code = int(fault.ret_code or 0)
        out.status = fault.http_status or 200
        out.reply(
            code, fault.ret_msg or DEFAULT_MESSAGES.get(code, "simulated fault"), fault.result, now
        )
        if code == RetCode.TOO_MANY_VISITS:
            limit = rate_limit(host.backend.account_type, req.path, _bucket(req, route))
            reset = now + (
                fault.reset_in_ms if fault.reset_in_ms is not None else DEFAULT_RESET_IN_MS
            )
            out.headers.update(limit_headers(limit, 0, reset))
    elif kind in (FaultKind.TIMEOUT, FaultKind.DROP):
        _lose(out, fault, now)
    elif kind in (FaultKind.TRUNCATED_JSON, FaultKind.NO_RET_CODE):
        real = out.body if fault.applied and out.body else envelope(0, "OK", {}, now)
        out.body = truncated(real) if kind is FaultKind.TRUNCATED_JSON else without_ret_code(real)
        out.status, out.ret_code, out.ret_msg = 200, None, fault.label
    else:
        status = fault.http_status or 200
        out.status, out.headers = status, dict(HTML_HEADERS)
        out.body = b"" if kind is FaultKind.EMPTY else html_page(status)
        if kind is FaultKind.REGION_BLOCKED:
            out.body = REGION_BLOCKED_PAGE.encode()
        out.ret_code, out.ret_msg = None, f"simulated {fault.label}"


def _lose(out: Outcome, fault: Fault, now: int) -> None:
    """No answer reaches the client: a timeout (the server answers 504 too late) or a drop."""
    out.transport = fault.kind
    if fault.kind is FaultKind.TIMEOUT:
        out.status = 504
        out.reply(int(RetCode.SERVER_TIMEOUT), fault.ret_msg or "simulated timeout", {}, now)
    else:
        out.status, out.headers, out.body = 0, {}, b""
        out.ret_code, out.ret_msg = None, "simulated dropped connection"


def _parse_body(method: str, raw_body: str) -> tuple[dict[str, Any] | None, str | None]:
    """JSON object of a POST body, or an error message for a 10001."""
    if method != "POST":
        return None, None
    if not raw_body.strip():
        return None, "params error: empty request body"
    try:
        data = json.loads(raw_body)
    except ValueError as exc:
        return None, f"params error: body is not valid JSON ({exc})"
    if not isinstance(data, dict):
        return None, "params error: body must be a JSON object"
    return data, None
