"""Position mode per symbol and per coin (symbol > coin > default), hedge-mode rows, orders'
``positionIdx``, hedge leverage, through ``dispatch``.

Sources: https://bybit-exchange.github.io/docs/v5/position/position-mode (priority, coin
batch switch, UTA2.0 support table), docs/v5/error.mdx (110024 / 110025 / 110028 / 110029),
pybit issue 367 (two rows, ``list[0]`` may be the empty side), batch-lvg.mdx (symbol-info
rows), ccxt issues 16952 / 24848 ("position idx not match position mode").
"""

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs

from .helpers import FakeClock, body, get, post


def switch_mode(sim: BybitSimulator, mode: int, **target: str) -> int:
    data = body(
        post(sim, Endpoint.SWITCH_POSITION_MODE, {"category": "linear", "mode": mode} | target)
    )
    return int(data["retCode"])


def rows(sim: BybitSimulator, symbol: str) -> list[dict]:
    params = {"category": "linear", "symbol": symbol}
    return list(body(get(sim, Endpoint.POSITION_LIST, params))["result"]["list"])


def order(sim: BybitSimulator, symbol: str, side: str, qty: str, **extra: object) -> dict:
    payload = {
        "category": "linear",
        "symbol": symbol,
        "side": side,
        "orderType": "Market",
        "qty": qty,
    } | extra
    return body(post(sim, Endpoint.ORDER_CREATE, payload))


@pytest.fixture
def sim(clock: FakeClock) -> BybitSimulator:
    return BybitSimulator("uta2", clock=clock, rate_limits=False)


def test_symbol_switch_and_its_refusals(sim: BybitSimulator) -> None:
    assert switch_mode(sim, 3, symbol="BTCUSDT") == 0
    assert sim.symbol_state("BTCUSDT")["position_mode"] == 3
    assert switch_mode(sim, 3, symbol="BTCUSDT") == RetCode.POSITION_MODE_NOT_MODIFIED
    sim.open_position("ETHUSDT", size="0.1")
    assert switch_mode(sim, 3, symbol="ETHUSDT") == 110024
    sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="1")
    assert switch_mode(sim, 3, symbol="SOLUSDT") == 110028
    # USDC perpetuals and inverse contracts are one-way only (UTA2.0 table)
    assert switch_mode(sim, 3, symbol="BTCPERP") == 110029
    inverse = {"category": "inverse", "symbol": "BTCUSD", "mode": 3}
    assert body(post(sim, Endpoint.SWITCH_POSITION_MODE, inverse))["retCode"] == 110029
    assert [sim.symbol_state(s)["position_mode"] for s in ("ETHUSDT", "SOLUSDT", "BTCPERP")] == [
        0,
        0,
        0,
    ]


def test_coin_switch_skips_busy_and_symbol_level_settings(sim: BybitSimulator) -> None:
    # "all symbols based on this settleCoin that do not have position and open order will be
    # batch switched"; "symbol > coin > system default"
    assert switch_mode(sim, 0, symbol="XRPUSDT") == RetCode.POSITION_MODE_NOT_MODIFIED
    assert switch_mode(sim, 3, symbol="ADAUSDT") == 0
    assert switch_mode(sim, 0, symbol="ADAUSDT") == 0  # a symbol-level one-way setting
    sim.open_position("ETHUSDT", size="0.1")
    assert switch_mode(sim, 3, coin="USDT") == 0
    modes = {s: sim.symbol_state(s)["position_mode"] for s in ("BTCUSDT", "ETHUSDT", "ADAUSDT")}
    assert modes == {"BTCUSDT": 3, "ETHUSDT": 0, "ADAUSDT": 0}
    assert sim.symbol_state("BTCPERP")["position_mode"] == 0  # USDC: not its coin
    # once ETHUSDT is flat, the next coin switch takes it along
    assert order(sim, "ETHUSDT", "Sell", "0.1", reduceOnly=True)["retCode"] == 0
    assert switch_mode(sim, 3, coin="USDT") == 0
    assert sim.symbol_state("ETHUSDT")["position_mode"] == 3
    assert switch_mode(sim, 3, coin="USDC") == 110029


def test_coin_switch_to_the_same_mode_answers_0_by_default(sim: BybitSimulator) -> None:
    # freqtrade's startup sends {"mode":0,"coin":"USDT"} and exits on 110025
    # (freqtrade-live-path.md §7): the knob keeps 0, and can be made strict
    for _ in range(2):
        assert switch_mode(sim, 0, coin="USDT") == 0
    strict = BybitSimulator(
        "uta2", knobs=SimKnobs(coin_mode_unchanged_ret_code=110025), rate_limits=False
    )
    assert switch_mode(strict, 0, coin="USDT") == 110025


def test_hedge_symbol_has_two_rows_empty_side_first(sim: BybitSimulator) -> None:
    sim.set_position_mode("BTCUSDT", hedge=True)
    flat = rows(sim, "BTCUSDT")
    assert [(r["positionIdx"], r["side"], r["size"]) for r in flat] == [(2, "", "0"), (1, "", "0")]
    sim.open_position("BTCUSDT", side="Buy", size="0.01", leverage="5")
    first, second = rows(sim, "BTCUSDT")
    # a long is open, yet list[0] is the empty Sell side (pybit issue 367)
    assert (first["positionIdx"], first["size"]) == (2, "0")
    assert (second["positionIdx"], second["side"], second["size"]) == (1, "Buy", "0.01")
    assert body(
        get(sim, Endpoint.POSITION_SYMBOL_INFO, {"category": "linear", "symbol": "BTCUSDT"})
    )["result"]["list"] == [
        {"symbol": "BTCUSDT", "leverage": "10", "side": "Sell", "positionIdx": 2},
        {"symbol": "BTCUSDT", "leverage": "5", "side": "Sell", "positionIdx": 1},
    ]
    ordered = BybitSimulator("uta2", knobs=SimKnobs(hedge_row_order=(1, 2)), rate_limits=False)
    ordered.set_position_mode("BTCUSDT", hedge=True)
    assert [r["positionIdx"] for r in rows(ordered, "BTCUSDT")] == [1, 2]


def test_order_position_idx_must_match_the_mode(sim: BybitSimulator) -> None:
    # freqtrade sends snake_case "position_idx": 0, which Bybit ignores: effective idx 0
    assert order(sim, "BTCUSDT", "Buy", "0.001", position_idx=0)["retCode"] == 0
    sim.set_position_mode("ETHUSDT", hedge=True)
    refused = order(sim, "ETHUSDT", "Buy", "0.01", position_idx=0)
    assert (refused["retCode"], refused["retMsg"]) == (
        10001,
        "position idx not match position mode",
    )
    assert order(sim, "ETHUSDT", "Buy", "0.01", positionIdx=0)["retCode"] == 10001
    assert order(sim, "BTCUSDT", "Buy", "0.001", positionIdx=1)["retCode"] == 10001
    assert order(sim, "BTCUSDT", "Buy", "0.001", positionIdx=3)["retCode"] == 10001
    assert sim.symbol_state("ETHUSDT")["open_orders"] == 0


def test_hedge_positions_per_side(sim: BybitSimulator) -> None:
    sim.set_position_mode("ETHUSDT", hedge=True)
    assert order(sim, "ETHUSDT", "Buy", "0.3", positionIdx=1)["retCode"] == 0
    assert order(sim, "ETHUSDT", "Sell", "0.2", positionIdx=2)["retCode"] == 0
    sides = {p["idx"]: (p["side"], p["size"]) for p in sim.symbol_state("ETHUSDT")["positions"]}
    assert sides == {1: ("Buy", "0.3"), 2: ("Sell", "0.2")}
    # a Sell at positionIdx 1 closes the long side only (capped), never flips it
    assert order(sim, "ETHUSDT", "Sell", "0.5", positionIdx=1, reduceOnly=True)["retCode"] == 0
    sides = {p["idx"]: (p["side"], p["size"]) for p in sim.symbol_state("ETHUSDT")["positions"]}
    assert sides == {2: ("Sell", "0.2")}
    assert order(sim, "ETHUSDT", "Sell", "0.1", positionIdx=1)["retCode"] == 110017
    listed = body(get(sim, Endpoint.POSITION_LIST, {"category": "linear", "settleCoin": "USDT"}))
    assert [(r["symbol"], r["positionIdx"]) for r in listed["result"]["list"]] == [("ETHUSDT", 2)]


def lever(sim: BybitSimulator, buy: str, sell: str) -> int:
    payload = {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": buy, "sellLeverage": sell}
    return int(body(post(sim, Endpoint.SET_LEVERAGE, payload))["retCode"])


def test_hedge_leverage_per_side_in_isolated_margin(clock: FakeClock) -> None:
    # leverage.mdx: hedge mode, isolated margin: buy and sell may differ; cross: must be equal
    cross = BybitSimulator("uta2", clock=clock, rate_limits=False)
    cross.set_position_mode("BTCUSDT", hedge=True)
    assert lever(cross, "5", "3") == 10001
    isolated = BybitSimulator(
        "uta2", clock=clock, rate_limits=False, account_margin_mode="ISOLATED_MARGIN"
    )
    isolated.set_position_mode("BTCUSDT", hedge=True)
    isolated.open_position("BTCUSDT", side="Buy", size="0.01")
    isolated.open_position("BTCUSDT", side="Sell", size="0.02")
    assert lever(isolated, "5", "3") == 0
    assert lever(isolated, "5", "3") == RetCode.LEVERAGE_NOT_MODIFIED
    state = isolated.symbol_state("BTCUSDT")
    assert (state["leverage"], state["sell_leverage"]) == ("5", "3")
    assert {p["idx"]: p["leverage"] for p in state["positions"]} == {1: "5", 2: "3"}
    assert {r["positionIdx"]: r["leverage"] for r in rows(isolated, "BTCUSDT")} == {1: "5", 2: "3"}
    one_way = BybitSimulator(
        "uta2", clock=clock, rate_limits=False, account_margin_mode="ISOLATED_MARGIN"
    )
    assert lever(one_way, "5", "3") == 10001


def test_portfolio_margin_is_one_way_only(clock: FakeClock) -> None:
    # reference 2026-12-02: "portfolio margin is one-way only"; code: SimKnobs.pm_hedge_ret_code
    sim = BybitSimulator("uta2", clock=clock, account_margin_mode="PORTFOLIO_MARGIN")
    assert switch_mode(sim, 3, symbol="BTCUSDT") == 110077
    assert switch_mode(sim, 3, coin="USDT") == 110077
    assert sim.symbol_state("BTCUSDT")["position_mode"] == 0


def test_seeding_refuses_impossible_modes(sim: BybitSimulator) -> None:
    with pytest.raises(ValueError, match="allowed: USDT-settled linear perpetuals"):
        sim.set_position_mode("BTCUSD", hedge=True)
    sim.open_position("SOLUSDT", size="1")
    with pytest.raises(ValueError, match="set its position mode first"):
        sim.set_position_mode("SOLUSDT", hedge=True)
    with pytest.raises(ValueError, match="exactly one of symbol or coin"):
        sim.set_position_mode(hedge=True)
    sim.set_position_mode("BTCUSDT", hedge=True)
    with pytest.raises(ValueError, match="allowed: 1 \\(Buy side\\), 2 \\(Sell side\\)"):
        sim.open_position("BTCUSDT", side="Buy", position_idx=0)
