"""Account rules without HTTP: support matrix, "not modified" answers, filters, fills."""

from decimal import Decimal

import pytest

from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs, SimulatorApiError
from freqtrade_bybit_margin.simulator.models import AccountBackend

from .helpers import FakeClock


D = Decimal


def make(account_type: str = "classic", clock: FakeClock | None = None, **kw) -> BybitSimulator:
    return BybitSimulator(account_type, clock=clock or FakeClock(), **kw)  # type: ignore[arg-type]


def code_of(exc_info: pytest.ExceptionInfo[SimulatorApiError]) -> int:
    return exc_info.value.code


def switch(
    b: AccountBackend,
    symbol: str = "BTCUSDT",
    mode: int = 1,
    lev: str = "10",
    category: str = "linear",
    sell: str | None = None,
) -> dict:
    return b.switch_isolated(
        category=category,
        symbol=symbol,
        trade_mode=mode,
        buy_leverage=D(lev),
        sell_leverage=D(sell or lev),
    )


def lever(b: AccountBackend, lev: str, symbol: str = "BTCUSDT", sell: str | None = None) -> dict:
    return b.set_leverage(
        category="linear", symbol=symbol, buy_leverage=D(lev), sell_leverage=D(sell or lev)
    )


@pytest.mark.parametrize(
    ("account_type", "category", "symbol", "expected"),
    [
        ("classic", "linear", "BTCUSDT", 0),
        ("classic", "inverse", "BTCUSD", 0),
        ("uta1", "linear", "BTCUSDT", RetCode.UNIFIED_ACCOUNT_FORBIDDEN),
        ("uta1", "inverse", "BTCUSD", 0),
        ("uta2", "linear", "BTCUSDT", RetCode.UNIFIED_ACCOUNT_FORBIDDEN),
        ("uta2", "inverse", "BTCUSD", RetCode.UNIFIED_ACCOUNT_FORBIDDEN),
    ],
)
def test_switch_isolated_support_matrix(account_type, category, symbol, expected) -> None:
    sim = make(account_type)
    if expected == 0:
        assert switch(sim.backend, symbol, category=category, lev="5") == {}
        assert (sim.symbol_state(symbol)["leverage"], sim.symbol_state(symbol)["trade_mode"]) == (
            "5",
            1,
        )
    else:
        with pytest.raises(SimulatorApiError) as err:
            switch(sim.backend, symbol, category=category)
        assert code_of(err) == expected
        assert sim.symbol_state(symbol)["leverage"] == "10"


def test_uta2_switch_isolated_code_is_a_knob() -> None:
    sim = make("uta2", knobs=SimKnobs(uta2_switch_isolated_ret_code=10001))
    with pytest.raises(SimulatorApiError) as err:
        switch(sim.backend)
    assert code_of(err) == 10001


def test_switch_isolated_same_mode_is_110026_and_keeps_leverage() -> None:
    sim = make()
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="10")
    with pytest.raises(SimulatorApiError) as err:
        switch(sim.backend, lev="3")
    assert code_of(err) == RetCode.MARGIN_MODE_NOT_MODIFIED
    assert sim.symbol_state("BTCUSDT")["leverage"] == "10"  # ccxt issue 13046


@pytest.mark.parametrize(
    ("lev", "sell", "fragment"),
    [
        ("5", "6", "must equal"),
        ("101", None, "outside"),
        ("0.5", None, "outside"),
        ("2.555", None, "leverageStep"),
    ],
)
def test_leverage_validation(lev, sell, fragment) -> None:
    sim = make()
    for call in (
        lambda: switch(sim.backend, lev=lev, sell=sell),
        lambda: lever(sim.backend, lev, sell=sell),
    ):
        with pytest.raises(SimulatorApiError) as err:
            call()
        assert code_of(err) == RetCode.PARAMS_ERROR
        assert fragment in err.value.message
    assert (sim.symbol_state("BTCUSDT")["trade_mode"], sim.symbol_state("BTCUSDT")["leverage"]) == (
        0,
        "10",
    )


def test_leverage_filter_per_instrument() -> None:
    sim = make()
    lever(sim.backend, "100")  # BTCUSDT max 100
    with pytest.raises(SimulatorApiError):
        lever(sim.backend, "51", symbol="SOLUSDT")  # SOLUSDT max 50
    lever(sim.backend, "2.55", symbol="SOLUSDT")
    assert sim.symbol_state("SOLUSDT")["leverage"] == "2.55"


def test_set_leverage_not_modified_and_applies_to_open_position() -> None:
    sim = make()
    with pytest.raises(SimulatorApiError) as err:
        lever(sim.backend, "10")
    assert code_of(err) == RetCode.LEVERAGE_NOT_MODIFIED
    sim.open_position("ETHUSDT", side="Buy", size="0.5", leverage="4")
    lever(sim.backend, "7", symbol="ETHUSDT")
    state = sim.symbol_state("ETHUSDT")
    assert (state["leverage"], state["position_leverage"], state["position_size"]) == (
        "7",
        "7",
        "0.5",
    )


def test_switch_isolated_refuses_usdc_linear() -> None:
    with pytest.raises(SimulatorApiError) as err:
        switch(make().backend, "BTCPERP")
    assert code_of(err) == RetCode.PARAMS_ERROR


def test_switch_isolated_with_open_position_or_order() -> None:
    sim = make()
    sim.open_position("ETHUSDT", side="Buy", size="1")
    sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="1")
    for symbol in ("ETHUSDT", "SOLUSDT"):
        with pytest.raises(SimulatorApiError) as err:
            switch(sim.backend, symbol, lev="5")
        assert "position or active order exists" in err.value.message
        assert sim.symbol_state(symbol)["trade_mode"] == 0
    sim.backend.knobs.switch_with_open_position = "cancel"
    for symbol in ("ETHUSDT", "SOLUSDT"):
        switch(sim.backend, symbol, lev="5")
        state = sim.symbol_state(symbol)
        assert (state["trade_mode"], state["leverage"], state["open_orders"]) == (1, "5", 0)
    assert sim.symbol_state("ETHUSDT")["position_size"] == "1"


def test_set_margin_mode_rules() -> None:
    with pytest.raises(SimulatorApiError) as err:
        make("classic").backend.set_margin_mode(mode="ISOLATED_MARGIN")
    assert code_of(err) == RetCode.UNIFIED_ACCOUNT_ONLY

    sim = make("uta2")
    assert sim.backend.set_margin_mode(mode="REGULAR_MARGIN") == {"reasons": []}  # same mode
    with pytest.raises(SimulatorApiError) as err:
        sim.backend.set_margin_mode(mode="PORTFOLIO_MARGIN")
    assert code_of(err) == RetCode.SET_MARGIN_MODE_FAILED
    assert err.value.result["reasons"][0]["reasonCode"] == "3400000"

    sim.open_position("BTCUSDT", side="Sell", size="0.01")
    sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="1")
    with pytest.raises(SimulatorApiError) as err:
        sim.backend.set_margin_mode(mode="ISOLATED_MARGIN")
    reasons = err.value.result["reasons"]
    assert code_of(err) == RetCode.SET_MARGIN_MODE_FAILED
    assert "BTCUSDT" in reasons[0]["reasonMsg"]
    assert "SOLUSDT" in reasons[1]["reasonMsg"]
    assert sim.account_margin_mode == "REGULAR_MARGIN"

    sim.reset()
    assert sim.backend.set_margin_mode(mode="ISOLATED_MARGIN") == {"reasons": []}
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    assert sim.symbol_state("BTCUSDT")["trade_mode"] == 1


def order(
    b: AccountBackend,
    side: str,
    qty: str,
    price: str | None = None,
    symbol="BTCUSDT",
    reduce_only=False,
) -> str:
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


def test_market_fill_opens_position_with_leverage_in_force() -> None:
    sim = make()
    sim.set_symbol("BTCUSDT", leverage="3")
    _, ask = sim.quote("BTCUSDT")
    oid = order(sim.backend, "Buy", "0.01")
    o = sim.backend.orders[oid]
    assert o.status == "Filled"
    assert o.cum_exec_value == ask * D("0.01")
    state = sim.symbol_state("BTCUSDT")
    assert (state["position_side"], state["position_size"], state["position_leverage"]) == (
        "Buy",
        "0.01",
        "3",
    )
    fee = ask * D("0.01") * D("0.00055")
    assert sim.backend.wallet["USDT"] == D(10000) - fee
    assert sim.backend.executions[-1].price == ask


def test_limit_order_rests_then_fills_when_price_crosses(clock: FakeClock) -> None:
    sim = make(clock=clock)
    sim.set_trend("ETHUSDT", -0.5)  # falling 0.5 %/minute
    bid, _ = sim.quote("ETHUSDT")
    price = str((bid * D("0.99")).quantize(D("0.01")))
    oid = order(sim.backend, "Buy", "0.1", price, symbol="ETHUSDT")
    assert sim.backend.orders[oid].status == "New"
    assert sim.symbol_state("ETHUSDT")["open_orders"] == 1
    clock.advance(5 * 60_000)
    sim.backend.tick()
    assert sim.backend.orders[oid].status == "Filled"
    assert sim.backend.executions[-1].is_maker
    assert sim.symbol_state("ETHUSDT")["position_size"] == "0.1"


def test_crossing_limit_fills_at_once_and_reduce_only_closes() -> None:
    sim = make()
    _, ask = sim.quote("BTCUSDT")
    order(sim.backend, "Buy", "0.02", str(ask + 100))
    assert sim.symbol_state("BTCUSDT")["position_size"] == "0.02"
    with pytest.raises(SimulatorApiError) as err:
        order(sim.backend, "Buy", "0.01", reduce_only=True)
    assert code_of(err) == RetCode.REDUCE_ONLY_NOT_SATISFIED
    order(sim.backend, "Sell", "0.05", reduce_only=True)  # capped at the position size
    assert sim.symbol_state("BTCUSDT")["position_size"] == "0"
    assert sim.backend.executions[-1].closed_size == D("0.02")


@pytest.mark.parametrize(
    ("qty", "price", "fragment"),
    [("0.0015", None, "multiple"), ("0.0001", None, "outside"), ("0.01", "60000.05", "tickSize")],
)
def test_order_filters(qty, price, fragment) -> None:
    with pytest.raises(SimulatorApiError) as err:
        order(make().backend, "Buy", qty, price)
    assert fragment in err.value.message


def test_insufficient_balance() -> None:
    sim = make()
    with pytest.raises(SimulatorApiError) as err:
        order(sim.backend, "Buy", "100")  # 6M USDT at 10x
    assert code_of(err) == RetCode.INSUFFICIENT_BALANCE


@pytest.mark.parametrize(("account_type", "expected"), [("classic", 1), ("uta1", 0), ("uta2", 0)])
def test_position_row_trade_mode(account_type, expected) -> None:
    sim = make(account_type, account_margin_mode="ISOLATED_MARGIN")
    sim.set_symbol("BTCUSDT", trade_mode=1)
    (row,) = sim.backend.position_rows(category="linear", symbol="BTCUSDT", settle_coin=None)
    assert row["tradeMode"] == expected
    assert (row["side"], row["size"], row["leverage"]) == ("", "0", "10")
    (inv,) = sim.backend.position_rows(category="inverse", symbol="BTCUSD", settle_coin=None)
    assert inv["tradeMode"] == 0


def test_reset_restores_constructor_state() -> None:
    sim = make("uta2")
    sim.set_account_margin_mode("ISOLATED_MARGIN")
    sim.open_position("BTCUSDT", size="0.01")
    sim.inject_fault(path="/v5/market/time", ret_code=10016)
    sim.reset()
    assert sim.account_margin_mode == "REGULAR_MARGIN"
    assert sim.symbol_state("BTCUSDT")["position_size"] == "0"
    assert sim.faults == []
    assert sim.journal == []
