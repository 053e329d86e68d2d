"""
:class:`BybitSimulator`: the facade both transports call. It owns the account state, the
journal, the fault list and the rate limiter, and answers one request at a time through
:meth:`BybitSimulator.dispatch`.
"""

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from freqtrade_bybit_margin.constants import AccountMarginMode, RetCode
from freqtrade_bybit_margin.simulator import auth
from freqtrade_bybit_margin.simulator.account_views import SIM_UID
from freqtrade_bybit_margin.simulator.exceptions import (
    DEFAULT_MESSAGES,
    InternalServerError,
    MethodNotAllowedError,
    ParamsError,
    SimulatorApiError,
    TooManyVisitsError,
    UnknownPathError,
)
from freqtrade_bybit_margin.simulator.faults import Fault
from freqtrade_bybit_margin.simulator.instruments import default_instruments
from freqtrade_bybit_margin.simulator.journal import JournalEntry
from freqtrade_bybit_margin.simulator.market_data import MINUTE_MS, PriceModel, fmt
from freqtrade_bybit_margin.simulator.models import AccountBackend
from freqtrade_bybit_margin.simulator.ratelimit import RateLimiter
from freqtrade_bybit_margin.simulator.responses import SimRequest, envelope, render_error
from freqtrade_bybit_margin.simulator.rules import ACCOUNT_TYPES, AccountType, SimKnobs
from freqtrade_bybit_margin.simulator.urls import CONTROL_PREFIX, ROUTES, is_private


if TYPE_CHECKING:
    from requests import Session


logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "simkey0000000000"
DEFAULT_API_SECRET = "simsecret00000000000000000000000000"
JSON_HEADERS = {"Content-Type": "application/json"}


def wall_clock_ms() -> int:
    """Milliseconds since the epoch."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class SimResponse:
    """What a transport sends back; ``timeout`` asks it to make the client time out."""

    status: int
    headers: dict[str, str]
    body: bytes
    timeout: bool = False

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass
class _Outcome:
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))
    body: bytes = b""
    ret_code: int | None = None
    ret_msg: str = ""
    signed: bool = False
    signature_ok: bool | None = None
    timeout: bool = False

    def error(self, exc: SimulatorApiError, now: int) -> None:
        self.status = exc.http_status
        self.body = render_error(exc, now)
        self.ret_code, self.ret_msg = exc.code, exc.message


class BybitSimulator:
    """An in-memory Bybit V5 account (one UID, one API key) with a REST front door.

    :param account_type: ``"classic"``, ``"uta1"`` or ``"uta2"`` (unifiedMarginStatus 1/3/6)
    :param account_margin_mode: starting account-wide margin mode (UTA only)
    :param extra_linear_symbols: add N generated USDT perps (``S001USDT``...)
    :param latency_ms: sleep before answering each request
    :param rate_limits: enforce Bybit's per-UID, per-endpoint rolling one-second limits
    :param clock: callable returning epoch ms (default: wall clock)
    :param knobs: behaviour switches for undocumented cases, see :class:`SimKnobs`
    """

    def __init__(
        self,
        account_type: AccountType = "classic",
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        account_margin_mode: str = AccountMarginMode.CROSS.value,
        extra_linear_symbols: int = 0,
        latency_ms: float = 0.0,
        rate_limits: bool = True,
        clock: Callable[[], int] | None = None,
        knobs: SimKnobs | None = None,
    ) -> None:
        if account_type not in ACCOUNT_TYPES:
            raise ValueError(f"account_type must be one of {ACCOUNT_TYPES}")
        if account_margin_mode not in {m.value for m in AccountMarginMode}:
            raise ValueError(f"unknown account margin mode {account_margin_mode!r}")
        self.account_type: AccountType = account_type
        self.api_key = api_key
        self._secrets = {api_key: api_secret}
        self._initial_margin_mode = account_margin_mode
        self.extra_linear_symbols = extra_linear_symbols
        self.latency_ms = latency_ms
        self.rate_limits = rate_limits
        self.clock: Callable[[], int] = clock or wall_clock_ms
        self._initial_knobs = copy.deepcopy(knobs or SimKnobs())
        self._lock = threading.RLock()
        self._anchor_ms = self.clock() // MINUTE_MS * MINUTE_MS
        self.reset()

    # ---------------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Back to the constructor state; journal, faults and rate counters cleared."""
        with self._lock:
            self.knobs = copy.deepcopy(self._initial_knobs)
            self.prices = PriceModel(self._anchor_ms)
            self.backend = AccountBackend(
                account_type=self.account_type,
                account_margin_mode=self._initial_margin_mode,
                instruments=default_instruments(self.extra_linear_symbols),
                prices=self.prices,
                knobs=self.knobs,
                clock=self.clock,
            )
            self._journal: list[JournalEntry] = []
            self.faults: list[Fault] = []
            self.limiter = RateLimiter()

    # ---------------------------------------------------------------- seeding

    def set_symbol(
        self, symbol: str, *, trade_mode: int | None = None, leverage: str | None = None
    ) -> None:
        """Set a symbol's starting per-symbol margin mode (0/1) and/or leverage."""
        with self._lock:
            if symbol not in self.backend.derivatives:
                raise KeyError(symbol)
            settings = self.backend.symbol_settings(symbol)
            if trade_mode is not None:
                settings.trade_mode = int(trade_mode)
            if leverage is not None:
                settings.leverage = Decimal(leverage)

    def set_account_margin_mode(self, mode: str) -> None:
        """Set the account-wide margin mode directly (no rule checks)."""
        if mode not in {m.value for m in AccountMarginMode}:
            raise ValueError(f"unknown account margin mode {mode!r}")
        with self._lock:
            self.backend.account_margin_mode = mode

    def set_trend(self, symbol: str, pct_per_minute: float) -> None:
        """Set the price drift of ``symbol`` (percent per minute)."""
        with self._lock:
            self.prices.set_trend(symbol, pct_per_minute)

    def open_position(
        self,
        symbol: str,
        *,
        side: str = "Buy",
        size: str = "1",
        price: str | None = None,
        leverage: str | None = None,
    ) -> None:
        """Start with an open position (no fee, wallet unchanged)."""
        with self._lock:
            inst = self.backend.derivatives[symbol]
            if leverage is not None:
                self.set_symbol(symbol, leverage=leverage)
            entry = Decimal(price) if price is not None else self.backend.mark(inst)
            self.backend.apply_to_position(inst, side, Decimal(size), entry, self.clock())

    def place_resting_order(self, symbol: str, *, side: str, qty: str, price: str) -> str:
        """Start with an open limit order that never fills; returns its ``orderId``."""
        with self._lock:
            inst = self.backend.derivatives[symbol]
            result = self.backend.create_order(
                category=inst.category.value,
                symbol=symbol,
                side=side,
                order_type="Limit",
                qty=Decimal(qty),
                price=Decimal(price),
                time_in_force="GTC",
                reduce_only=False,
                order_link_id="",
                never_fill=True,
            )
            return str(result["orderId"])

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
    ) -> Fault:
        """Answer matching calls with ``ret_code`` / ``http_status`` / a timeout.

        :param times: how many matching calls get the fault (``None`` = forever)
        :param after: let this many matching calls through first
        """
        if ret_code is None and http_status is None and not timeout:
            raise ValueError("give ret_code, http_status or timeout=True")
        fault = Fault(
            path=str(path) if path is not None else None,
            method=method,
            symbol=symbol,
            ret_code=ret_code,
            ret_msg=ret_msg,
            result=result or {},
            http_status=http_status,
            timeout=timeout,
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

    def clear_faults(self) -> None:
        """Drop every injected fault."""
        with self._lock:
            self.faults.clear()

    # ---------------------------------------------------------------- views

    @property
    def account_margin_mode(self) -> str:
        """Account-wide margin mode (``REGULAR_MARGIN`` etc.)."""
        return self.backend.account_margin_mode

    @property
    def journal(self) -> list[JournalEntry]:
        """Every request answered, in order (a copy)."""
        with self._lock:
            return list(self._journal)

    def requests(
        self, path: str | None = None, method: str | None = None, symbol: str | None = None
    ) -> list[JournalEntry]:
        """Journal entries filtered by path, method and symbol."""
        return [
            e
            for e in self.journal
            if path in (None, e.path) and method in (None, e.method) and symbol in (None, e.symbol)
        ]

    def symbol_state(self, symbol: str) -> dict[str, Any]:
        """``trade_mode`` (effective: per-symbol or account-wide), ``leverage``,
        ``position_size`` and ``open_orders`` of ``symbol``."""
        with self._lock:
            b = self.backend
            inst = b.derivatives[symbol]
            pos = b.positions.get(symbol)
            return {
                "trade_mode": b.effective_trade_mode(inst),
                "leverage": fmt(b.symbol_settings(symbol).leverage),
                "position_size": fmt(pos.size) if pos else "0",
                "position_side": pos.side if pos else "",
                "position_leverage": fmt(pos.leverage) if pos else "",
                "open_orders": len(b.open_orders(symbol)),
            }

    def quote(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Current best ``(bid, ask)`` of a derivative symbol."""
        with self._lock:
            inst = self.backend.derivatives[symbol]
            return self.prices.book(inst, self.clock())

    def state(self) -> dict[str, Any]:
        """JSON-ready snapshot (``GET /_sim/state``)."""
        with self._lock:
            b = self.backend
            touched = sorted(set(b.settings) | set(b.positions))
            return {
                "account_type": self.account_type,
                "account_margin_mode": b.account_margin_mode,
                "wallet": {c: fmt(v) for c, v in b.wallet.items()},
                "symbols": {s: self.symbol_state(s) for s in touched},
                "orders": [o.to_row(fee_detail=True) for o in b.orders.values()],
                "faults": [asdict(f) for f in self.faults],
                "requests": len(self._journal),
            }

    # ---------------------------------------------------------------- transports

    def mount(self, session: "Session") -> None:
        """Answer every request of one ``requests.Session`` (any host) from this simulator."""
        from freqtrade_bybit_margin.simulator.mock import mount_session

        mount_session(self, session)

    def dispatch(
        self, method: str, url: str, headers: dict[str, str], body: bytes | str | None
    ) -> SimResponse:
        """Answer one HTTP request (the single entry point of every transport)."""
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        method = method.upper()
        split = urlsplit(url)
        path, raw_query = split.path, split.query
        raw_body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body or ""
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path, raw_body)
        lower = {k.lower(): v for k, v in headers.items()}
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        parsed_body, body_error = _parse_body(method, raw_body)
        params = parsed_body if method == "POST" else query
        raw_symbol = (params or {}).get("symbol")
        symbol = raw_symbol if isinstance(raw_symbol, str) and raw_symbol else None
        with self._lock:
            now = self.clock()
            out = _Outcome()
            try:
                self._answer(
                    out, method, path, lower, raw_query, raw_body, params, body_error, symbol, now
                )
            except SimulatorApiError as exc:
                out.error(exc, now)
            except Exception as exc:
                logger.exception("simulator handler failed for %s %s", method, path)
                out.error(InternalServerError(f"simulator internal error: {exc!r}"), now)
            self._journal.append(
                JournalEntry(
                    seq=len(self._journal) + 1,
                    time_ms=now,
                    method=method,
                    path=path,
                    query=query,
                    body=parsed_body,
                    raw_query=raw_query,
                    raw_body=raw_body,
                    headers=dict(headers),
                    signed=out.signed,
                    signature_ok=out.signature_ok,
                    http_status=out.status,
                    ret_code=out.ret_code,
                    ret_msg=out.ret_msg,
                    symbol=symbol,
                )
            )
        return SimResponse(out.status, out.headers, out.body, out.timeout)

    def _answer(
        self,
        out: _Outcome,
        method: str,
        path: str,
        headers: dict[str, str],
        raw_query: str,
        raw_body: str,
        params: dict[str, Any] | None,
        body_error: str | None,
        symbol: str | None,
        now: int,
    ) -> None:
        route = ROUTES.get(path)
        if route is None:
            raise UnknownPathError(f"simulator: unknown path {method} {path} (not implemented)")
        if route.method != method:
            raise MethodNotAllowedError(f"simulator: {path} expects {route.method}, got {method}")
        payload = raw_query if method == "GET" else raw_body
        private = is_private(path)
        api_key: str | None = None
        if private or auth.H_SIGN in headers:
            checked = auth.check(headers, payload, self._secrets, now)
            out.signed, out.signature_ok, api_key = (
                checked.signed,
                checked.signature_ok,
                checked.api_key,
            )
            if private and checked.error is not None:
                raise checked.error
        for fault in self.faults:
            if fault.matches(method, path, symbol) and fault.consume():
                self._render_fault(out, fault, now)
                return
        if private and self.rate_limits:
            decision = self.limiter.hit(str(SIM_UID), path, now)
            out.headers.update(decision.headers)
            if not decision.allowed:
                raise TooManyVisitsError()
        if body_error is not None:
            raise ParamsError(body_error)
        request = SimRequest(method, path, params or {}, api_key)
        self.backend.tick()
        reply = route.handler(self.backend, request)
        out.body = envelope(int(RetCode.OK), reply.ret_msg, reply.result, now)
        out.ret_code, out.ret_msg = int(RetCode.OK), reply.ret_msg

    def _render_fault(self, out: _Outcome, fault: Fault, now: int) -> None:
        logger.info("simulator: injected fault on %s: %s", fault.path, fault)
        if fault.timeout:
            out.timeout = True
            out.status = 504
            code = int(RetCode.SERVER_TIMEOUT)
            out.ret_code, out.ret_msg = code, fault.ret_msg or "simulated timeout"
            out.body = envelope(code, out.ret_msg, {}, now)
            return
        if fault.ret_code is None:
            out.status = fault.http_status or 503
            out.headers = {"Content-Type": "text/html"}
            out.ret_msg = f"simulated HTTP {out.status}"
            out.body = f"<html><body><h1>{out.status} {out.ret_msg}</h1></body></html>".encode()
            return
        out.status = fault.http_status or 200
        out.ret_code = fault.ret_code
        out.ret_msg = fault.ret_msg or DEFAULT_MESSAGES.get(fault.ret_code, "simulated fault")
        out.body = envelope(fault.ret_code, out.ret_msg, dict(fault.result), now)

    # ---------------------------------------------------------------- control plane

    def _control(self, method: str, path: str, raw_body: str) -> SimResponse:
        """Serve ``GET /_sim/journal``, ``GET /_sim/state``, ``POST /_sim/{reset,fault}``."""
        try:
            if (method, path) == ("GET", "/_sim/journal"):
                data: Any = {"journal": [e.to_dict() for e in self.journal]}
            elif (method, path) == ("GET", "/_sim/state"):
                data = self.state()
            elif (method, path) == ("POST", "/_sim/reset"):
                self.reset()
                data = {"reset": True}
            elif (method, path) == ("POST", "/_sim/fault"):
                fault = self.inject_fault(**json.loads(raw_body or "{}"))
                data = {"fault": asdict(fault)}
            else:
                return SimResponse(404, dict(JSON_HEADERS), b'{"error":"unknown control route"}')
        except (TypeError, ValueError) as exc:
            return SimResponse(400, dict(JSON_HEADERS), json.dumps({"error": str(exc)}).encode())
        return SimResponse(200, dict(JSON_HEADERS), json.dumps(data).encode())


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
