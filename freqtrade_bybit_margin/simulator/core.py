"""
:class:`BybitSimulator`: the facade both transports call. It owns the account
(:class:`~.backend.AccountBackend`), the API keys, the journal, the fault list, the rate
limiter and the IP guard, and answers one request at a time through
:meth:`BybitSimulator.dispatch` (the request pipeline itself is :mod:`.pipeline`). It knows no
HTTP library.
"""

import copy
import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode, AccountType
from freqtrade_bybit_margin.simulator import pipeline
from freqtrade_bybit_margin.simulator.auth import ApiKeys
from freqtrade_bybit_margin.simulator.backend import SIM_UID, AccountBackend
from freqtrade_bybit_margin.simulator.faults import Fault, FaultControls
from freqtrade_bybit_margin.simulator.formatting import fmt
from freqtrade_bybit_margin.simulator.instruments import Catalogue, default_instruments
from freqtrade_bybit_margin.simulator.ipban import DEFAULT_CLIENT_IP, IpGuard
from freqtrade_bybit_margin.simulator.journal import JournalEntry
from freqtrade_bybit_margin.simulator.keys import KeyProfile
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.market_controls import MarketControls
from freqtrade_bybit_margin.simulator.market_data import MINUTE_MS, PriceModel
from freqtrade_bybit_margin.simulator.pipeline import JSON_HEADERS, Incoming, SimResponse
from freqtrade_bybit_margin.simulator.ratelimit import RateLimiter
from freqtrade_bybit_margin.simulator.rules import account_type_of, rate_limit
from freqtrade_bybit_margin.simulator.seeding import SeedingControls, check_margin_mode
from freqtrade_bybit_margin.simulator.urls import CONTROL_PREFIX, CONTROL_ROUTES


DEFAULT_API_KEY = "simkey0000000000"
DEFAULT_API_SECRET = "simsecret00000000000000000000000000"


def wall_clock_ms() -> int:
    """Milliseconds since the epoch."""
    return int(time.time() * 1000)


class BybitSimulator(SeedingControls, MarketControls, FaultControls):
    """An in-memory Bybit V5 account (one UID) with a REST front door.

    Seeding (``set_symbol``, ``open_position``, ``set_position_mode``, ``set_max_leverage``,
    ``seed``..., from :class:`~.seeding.SeedingControls`), views (``journal``,
    ``symbol_state``...) and the fault suite's handles (``inject_fault``, ``spend_budget``...,
    from :class:`~.faults.FaultControls`).

    :param account_type: ``"classic"``, ``"uta1"`` or ``"uta2"`` (unifiedMarginStatus 1/3/6);
        a plain string or :class:`~freqtrade_bybit_margin.constants.AccountType`
    :param api_key: the first API key (more: :meth:`add_api_key`)
    :param api_secret: its secret
    :param account_margin_mode: starting account-wide margin mode (UTA only)
    :param extra_linear_symbols: add N generated USDT perps (``S001USDT``...)
    :param latency_ms: sleep before answering each request
    :param rate_limits: enforce Bybit's per-UID, per-endpoint rolling one-second limits and
        send the ``X-Bapi-Limit*`` headers (off: neither)
    :param clock: callable returning epoch ms (default: wall clock)
    :param knobs: behaviour switches for undocumented cases, see :class:`SimKnobs`
    :param uid: the account's UID (``/v5/user/query-api`` ``userID``)
    :param key_profile: rights of the first key (read-only, permissions, IPs, expiry)
    :raise ValueError: for an unknown account type or margin mode
    """

    def __init__(
        self,
        account_type: AccountType | str = AccountType.CLASSIC,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        account_margin_mode: str = AccountMarginMode.CROSS.value,
        extra_linear_symbols: int = 0,
        latency_ms: float = 0.0,
        rate_limits: bool = True,
        clock: Callable[[], int] | None = None,
        knobs: SimKnobs | None = None,
        uid: int = SIM_UID,
        key_profile: KeyProfile | None = None,
    ) -> None:
        self.account_type: AccountType = account_type_of(account_type)
        check_margin_mode(account_margin_mode)
        self.uid = uid
        self.api_key = api_key
        self.clock: Callable[[], int] = clock or wall_clock_ms
        self.keys = ApiKeys()
        self.keys.add(api_key, api_secret, uid, key_profile, self.clock())
        self._initial_margin_mode = account_margin_mode
        self.extra_linear_symbols = extra_linear_symbols
        self.latency_ms = latency_ms
        self.rate_limits = rate_limits
        self._initial_knobs = copy.deepcopy(knobs or SimKnobs())
        self._lock = threading.RLock()
        self._anchor_ms = self.clock() // MINUTE_MS * MINUTE_MS
        self.reset()

    # ---------------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Back to the constructor state; journal, faults and rate counters cleared.

        API keys added with :meth:`add_api_key` stay.
        """
        with self._lock:
            self.knobs = copy.deepcopy(self._initial_knobs)
            self.prices = PriceModel(self._anchor_ms)
            self.backend = AccountBackend(
                account_type=self.account_type,
                account_margin_mode=self._initial_margin_mode,
                catalogue=Catalogue(default_instruments(self.extra_linear_symbols)),
                prices=self.prices,
                knobs=self.knobs,
                clock=self.clock,
                keys=self.keys,
            )
            self.ipguard = IpGuard()
            self._journal: list[JournalEntry] = []
            self.faults: list[Fault] = []
            self.limiter = RateLimiter(
                lambda path, bucket: rate_limit(self.account_type, path, bucket)
            )

    # ---------------------------------------------------------------- seeding

    def set_trend(self, symbol: str, pct_per_minute: float) -> None:
        """Set the price drift of ``symbol`` (percent per minute)."""
        with self._lock:
            self.prices.set_trend(symbol, pct_per_minute)

    # ---------------------------------------------------------------- views

    @property
    def account_margin_mode(self) -> str:
        """Account-wide margin mode (``REGULAR_MARGIN`` etc.)."""
        return self.backend.margin.account_margin_mode

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
        """``trade_mode`` (effective: per-symbol or account-wide), ``leverage`` /
        ``sell_leverage``, ``max_leverage`` (live), ``position_mode`` (0 / 3),
        ``position_size`` / ``_side`` / ``_leverage`` (one-way, or the first open hedge side),
        ``positions`` (every open side) and ``open_orders``."""
        with self._lock:
            return self.backend.symbol_state(symbol)

    def quote(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Current best ``(bid, ask)`` of a derivative symbol."""
        with self._lock:
            inst = self.backend.catalogue.derivatives[symbol]
            return self.prices.book(inst, self.clock())

    def state(self) -> dict[str, Any]:
        """JSON-ready snapshot (``GET /_sim/state``); never contains a secret."""
        with self._lock:
            b = self.backend
            return {
                "account_type": self.account_type.value,
                "account_margin_mode": self.account_margin_mode,
                "wallet": {c: fmt(v) for c, v in b.wallet.balances.items()},
                "borrow": {c: fmt(v) for c, v in b.wallet.borrowed.items()},
                "symbols": {s: b.symbol_state(s) for s in b.touched_symbols()},
                "position_modes": b.modes.snapshot(),
                "option_positions": b.options.rows(symbol=None, base_coin=None),
                "orders": [o.to_row(fee_detail=True) for o in b.book.orders.values()],
                "faults": [f.to_dict() for f in self.faults],
                "ip_bans": dict(self.ipguard.bans),
                "requests": len(self._journal),
            }

    # ---------------------------------------------------------------- transports

    def dispatch(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | str | None,
        *,
        client_ip: str = DEFAULT_CLIENT_IP,
    ) -> SimResponse:
        """Answer one HTTP request (the single entry point of every transport).

        :param method: HTTP method
        :param url: full URL (any host)
        :param headers: request headers
        :param body: raw body
        :param client_ip: the peer address (IP limit, keys bound to IPs)
        :return: the answer, or a transport fault to play out
        """
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        req = Incoming.parse(method, url, headers, body)
        if req.path.startswith(CONTROL_PREFIX):
            return _control(self, req)
        with self._lock:
            now = self.clock()
            out = pipeline.run(self, req, now, client_ip)
            self._journal.append(out.entry(len(self._journal) + 1, now, req, client_ip))
        return out.response()


def _control(sim: BybitSimulator, req: Incoming) -> SimResponse:
    """Serve a ``/_sim/...`` route of :data:`~.urls.CONTROL_ROUTES`."""
    handler = CONTROL_ROUTES.get((req.method, req.path))
    if handler is None:
        routes = sorted(f"{m} {p}" for m, p in CONTROL_ROUTES)
        return _json(
            404, {"error": f"unknown control route {req.method} {req.path}", "routes": routes}
        )
    try:
        data = handler(sim, json.loads(req.raw_body or "{}"))
    except (TypeError, ValueError) as exc:
        return _json(400, {"error": str(exc)})
    return _json(200, data)


def _json(status: int, data: Any) -> SimResponse:
    return SimResponse(status, dict(JSON_HEADERS), json.dumps(data).encode())
