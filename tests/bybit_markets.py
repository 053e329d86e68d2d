"""Real ccxt bybit instances with markets parsed from instrument rows, for unit tests."""

from __future__ import annotations

import json
import re
from typing import Any

import ccxt
import ccxt.async_support
import requests_mock

from freqtrade_bybit_margin.model import AccountType


API_KEY = "unitkey000000000"
API_SECRET = "unitsecret0000000000000000000000"


def _row(
    symbol: str, base: str, quote: str, settle: str, kind: str, max_lev: str
) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "contractType": kind,
        "status": "Trading",
        "baseCoin": base,
        "quoteCoin": quote,
        "settleCoin": settle,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "fundingInterval": 480,
        "leverageFilter": {"minLeverage": "1", "maxLeverage": max_lev, "leverageStep": "0.01"},
        "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001", "maxOrderQty": "100"},
        "priceFilter": {"tickSize": "0.1", "minPrice": "0.1", "maxPrice": "1999999"},
    }


INSTRUMENTS: dict[str, list[dict[str, Any]]] = {
    "linear": [
        _row("BTCUSDT", "BTC", "USDT", "USDT", "LinearPerpetual", "100.00"),
        _row("ETHUSDT", "ETH", "USDT", "USDT", "LinearPerpetual", "50.00"),
        _row("BTCPERP", "BTC", "USDC", "USDC", "LinearPerpetual", "100.00"),
    ],
    "inverse": [_row("BTCUSD", "BTC", "USD", "BTC", "InversePerpetual", "100.00")],
    "spot": [
        {
            "symbol": "BTCUSDT",
            "baseCoin": "BTC",
            "quoteCoin": "USDT",
            "status": "Trading",
            "lotSizeFilter": {"basePrecision": "0.000001", "quotePrecision": "0.0001"},
            "priceFilter": {"tickSize": "0.01"},
        }
    ],
}

PROBE_OPTIONS: dict[AccountType, dict[str, Any]] = {
    AccountType.CLASSIC: {
        "enableUnifiedMargin": False,
        "enableUnifiedAccount": False,
        "unifiedMarginStatus": 1,
    },
    AccountType.UTA1: {
        "enableUnifiedMargin": False,
        "enableUnifiedAccount": True,
        "unifiedMarginStatus": 3,
    },
    AccountType.UTA2: {
        "enableUnifiedMargin": False,
        "enableUnifiedAccount": True,
        "unifiedMarginStatus": 6,
    },
}


def _instruments(request: Any, context: Any) -> str:
    category = request.qs.get("category", [""])[0]
    status = request.qs.get("status", [""])[0]
    rows = [] if status.lower() == "prelaunch" else INSTRUMENTS.get(category, [])
    return json.dumps(
        {
            "retCode": 0,
            "retMsg": "OK",
            "result": {"category": category, "list": rows, "nextPageCursor": ""},
            "retExtInfo": {},
            "time": 1,
        }
    )


def load_markets() -> dict[str, Any]:
    """Markets as ccxt parses them from :data:`INSTRUMENTS` (no private request)."""
    exchange = ccxt.bybit({"options": {"fetchMarkets": {"types": ["spot", "linear", "inverse"]}}})
    with requests_mock.Mocker() as mocker:
        mocker.get(re.compile(r".*/v5/market/instruments-info.*"), text=_instruments)
        markets: dict[str, Any] = exchange.load_markets()
    return markets


_MARKETS: dict[str, Any] = {}


def markets() -> dict[str, Any]:
    if not _MARKETS:
        _MARKETS.update(load_markets())
    return _MARKETS


def sync_bybit(account: AccountType) -> Any:
    """A sync ccxt.bybit with credentials, markets and a cached account probe."""
    exchange = ccxt.bybit({"apiKey": API_KEY, "secret": API_SECRET})
    exchange.set_markets(list(markets().values()))
    exchange.options.update(PROBE_OPTIONS[account])
    return exchange


def async_bybit(account: AccountType) -> Any:
    """An async ccxt.bybit prepared like :func:`sync_bybit`; close it after use."""
    exchange = ccxt.async_support.bybit({"apiKey": API_KEY, "secret": API_SECRET})
    exchange.set_markets(list(markets().values()))
    exchange.options.update(PROBE_OPTIONS[account])
    return exchange
