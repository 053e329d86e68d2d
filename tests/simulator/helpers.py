"""Helpers for the simulator tests: a controllable clock and an independent request signer."""

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    SimResponse,
)


T0 = 1_790_000_000_000
BASE = "https://api.bybit.com"


class FakeClock:
    """A clock the test moves by hand (epoch ms)."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def signed_headers(
    payload: str,
    ts: int,
    *,
    key: str = DEFAULT_API_KEY,
    secret: str = DEFAULT_API_SECRET,
    recv_window: str | None = "5000",
) -> dict[str, str]:
    """X-BAPI-* headers signed independently of the simulator's code."""
    origin = f"{ts}{key}{recv_window or ''}{payload}"
    headers = {
        "X-BAPI-API-KEY": key,
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-SIGN": hmac.new(secret.encode(), origin.encode(), hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }
    if recv_window is not None:
        headers["X-BAPI-RECV-WINDOW"] = recv_window
    return headers


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
