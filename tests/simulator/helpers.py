"""Helpers for the simulator tests: a controllable clock, the tests' independent request
signer (:mod:`tests.signing`), and short callers of the backend's operations."""

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from freqtrade_bybit_margin.simulator import (
    BybitSimulator,
    SimResponse,
    SimulatorApiError,
)
from freqtrade_bybit_margin.simulator.backend import AccountBackend
from tests.signing import signed_headers


T0 = 1_790_000_000_000
BASE = "https://api.bybit.com"
D = Decimal


class FakeClock:
    """A clock the test moves by hand (epoch ms)."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def get(
    sim: BybitSimulator,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    signed: bool = True,
    **kw: Any,
) -> SimResponse:
    """Signed (by default) GET through ``sim.dispatch``."""
    query = urlencode(params or {})
    headers = signed_headers(query, sim.clock(), **kw) if signed else {}
    return sim.dispatch("GET", f"{BASE}{path}?{query}", headers, b"")


def post(sim: BybitSimulator, path: str, body: dict[str, Any] | str, **kw: Any) -> SimResponse:
    """Signed POST of a compact JSON body through ``sim.dispatch``."""
    raw = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return sim.dispatch(
        "POST", f"{BASE}{path}", signed_headers(raw, sim.clock(), **kw), raw.encode()
    )


def body(resp: SimResponse) -> dict[str, Any]:
    """The JSON body of an answer."""
    return dict(json.loads(resp.body))


def leverage_body(lev: str, symbol: str = "BTCUSDT") -> dict[str, str]:
    """A set-leverage body."""
    return {"category": "linear", "symbol": symbol, "buyLeverage": lev, "sellLeverage": lev}


def make(
    account_type: str = "classic", clock: FakeClock | None = None, **kw: Any
) -> BybitSimulator:
    """A simulator on a fake clock."""
    return BybitSimulator(account_type, clock=clock or FakeClock(), **kw)


def code_of(exc_info: pytest.ExceptionInfo[SimulatorApiError]) -> int:
    """The retCode of a raised simulator error."""
    return exc_info.value.code


def switch(
    b: AccountBackend,
    symbol: str = "BTCUSDT",
    mode: int = 1,
    lev: str = "10",
    category: str = "linear",
    sell: str | None = None,
) -> dict[str, Any]:
    """``switch_isolated`` on the backend."""
    return b.switch_isolated(
        category=category,
        symbol=symbol,
        trade_mode=mode,
        buy_leverage=D(lev),
        sell_leverage=D(sell or lev),
    )


def lever(
    b: AccountBackend, lev: str, symbol: str = "BTCUSDT", sell: str | None = None
) -> dict[str, Any]:
    """``set_leverage`` on the backend."""
    return b.set_leverage(
        category="linear", symbol=symbol, buy_leverage=D(lev), sell_leverage=D(sell or lev)
    )


def order(
    b: AccountBackend,
    side: str,
    qty: str,
    price: str | None = None,
    symbol: str = "BTCUSDT",
    reduce_only: bool = False,
) -> str:
    """A GTC limit (with ``price``) or market order on the backend; returns its id."""
    result = b.create_order(
        category="linear",
        symbol=symbol,
        side=side,
        order_type="Limit" if price else "Market",
        qty=D(qty),
        price=D(price) if price else None,
        time_in_force="GTC",
        reduce_only=reduce_only,
        order_link_id="",
    )
    return str(result["orderId"])
