"""The reader: cursor pagination, bulk leverages, unparseable answers leave the state unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import pytest

from freqtrade_bybit_margin.client.rest import signed
from freqtrade_bybit_margin.constants import Category, Endpoint
from freqtrade_bybit_margin.markets import Contract
from freqtrade_bybit_margin.service.reader import ExchangeReader


class PagedCaller:
    """Stands in for the service's Caller: answers GETs from ``pages[(endpoint, cursor)]``."""

    def __init__(self, pages: dict[tuple[str, str | None], dict[str, Any]]) -> None:
        self.pages = pages
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def get(self, endpoint: Endpoint, params: dict[str, Any], counter: Any = None) -> Any:
        self.asked.append((endpoint, dict(params)))
        return {"retCode": 0, "result": self.pages[(endpoint, params.get("cursor"))]}


def reader(pages: dict[tuple[str, str | None], dict[str, Any]]) -> tuple[ExchangeReader, Any]:
    call = PagedCaller(pages)
    return ExchangeReader(call), call  # type: ignore[arg-type]


def test_exposure_follows_the_cursor_and_keeps_only_open_positions() -> None:
    pos, orders = Endpoint.POSITION_LIST, Endpoint.ORDER_REALTIME
    read, call = reader(
        {
            (pos, None): {
                "list": [{"symbol": "BTCUSDT", "size": "1"}, {"symbol": "ETHUSDT", "size": "0"}],
                "nextPageCursor": "p2",
            },
            (pos, "p2"): {"list": [{"symbol": "SOLUSDT", "size": "0.5"}], "nextPageCursor": ""},
            (orders, None): {"list": [{"symbol": "XRPUSDT"}], "nextPageCursor": "o2"},
            (orders, "o2"): {"list": [{"symbol": "XRPUSDT"}, {"symbol": "ADAUSDT"}]},
        }
    )

    exposure = read.exposure([("linear", "USDT")])

    assert sorted(exposure.positions) == ["BTCUSDT", "SOLUSDT"]
    assert exposure.open_orders == {"XRPUSDT": 2, "ADAUSDT": 1}
    assert [(e, p.get("cursor")) for e, p in call.asked] == [
        (pos, None),
        (pos, "p2"),
        (orders, None),
        (orders, "o2"),
    ]
    assert call.asked[0][1] == {"category": "linear", "settleCoin": "USDT", "limit": 200}


def test_pagination_is_bounded() -> None:
    endless: dict[tuple[str, str | None], dict[str, Any]] = {
        (Endpoint.POSITION_SYMBOL_INFO, None): {"list": [], "nextPageCursor": "again"},
        (Endpoint.POSITION_SYMBOL_INFO, "again"): {"list": [], "nextPageCursor": "again"},
    }
    read, call = reader(endless)

    assert read.leverages("linear") == {}
    assert len(call.asked) == 20


def test_bulk_leverages_disagreeing_hedge_rows_are_unknown() -> None:
    read, _ = reader(
        {
            (Endpoint.POSITION_SYMBOL_INFO, None): {
                "list": [
                    {"symbol": "BTCUSDT", "leverage": "5", "positionIdx": 1},
                    {"symbol": "BTCUSDT", "leverage": "5", "positionIdx": 2},
                    {"symbol": "ETHUSDT", "leverage": "4", "positionIdx": 1},
                    {"symbol": "ETHUSDT", "leverage": "3", "positionIdx": 2},
                    {"symbol": "SOLUSDT", "leverage": "2.5"},
                ]
            }
        }
    )

    assert read.leverages("linear") == {"BTCUSDT": 5.0, "ETHUSDT": None, "SOLUSDT": 2.5}


def test_a_position_row_for_another_symbol_is_not_this_pairs_state() -> None:
    read, _ = reader(
        {(Endpoint.POSITION_LIST, None): {"list": [{"symbol": "ETHUSDT", "leverage": "3"}]}}
    )
    btc = Contract("BTC/USDT:USDT", "BTCUSDT", Category.LINEAR, "USDT")

    assert read.position_row(btc) is None


@pytest.mark.parametrize("body", ["<html>502</html>", "", '{"retCode":0,"res'])
def test_an_unparseable_read_raises_so_nothing_is_switched_blindly(body: str) -> None:
    class Garbled:
        def sign(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return {"url": "u", "method": "GET", "headers": {}, "body": None}

        fetch: Callable[..., Any] = staticmethod(lambda *args: body)

    with pytest.raises(ccxt.BadResponse, match="not confirmed"):
        signed(Garbled(), "GET", Endpoint.POSITION_LIST, {"symbol": "BTCUSDT"})
