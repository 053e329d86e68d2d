"""The matching engine without HTTP: fills, resting orders, reduce-only, filters, balance."""

import pytest

from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.simulator import SimulatorApiError

from .helpers import D, FakeClock, code_of, make, order


def test_market_fill_opens_position_with_leverage_in_force() -> None:
    sim = make()
    sim.set_symbol("BTCUSDT", leverage="3")
    _, ask = sim.quote("BTCUSDT")
    oid = order(sim.backend, "Buy", "0.01")
    o = sim.backend.book.orders[oid]
    assert o.status == "Filled"
    assert o.cum_exec_value == ask * D("0.01")
    state = sim.symbol_state("BTCUSDT")
    assert (state["position_side"], state["position_size"], state["position_leverage"]) == (
        "Buy",
        "0.01",
        "3",
    )
    fee = ask * D("0.01") * D("0.00055")
    assert sim.backend.wallet.balance("USDT") == D(10000) - fee
    assert sim.backend.book.executions[-1].price == ask


def test_limit_order_rests_then_fills_when_price_crosses(clock: FakeClock) -> None:
    sim = make(clock=clock)
    sim.set_trend("ETHUSDT", -0.5)  # falling 0.5 %/minute
    bid, _ = sim.quote("ETHUSDT")
    price = str((bid * D("0.99")).quantize(D("0.01")))
    oid = order(sim.backend, "Buy", "0.1", price, symbol="ETHUSDT")
    assert sim.backend.book.orders[oid].status == "New"
    assert sim.symbol_state("ETHUSDT")["open_orders"] == 1
    clock.advance(5 * 60_000)
    sim.backend.tick()
    assert sim.backend.book.orders[oid].status == "Filled"
    assert sim.backend.book.executions[-1].is_maker
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
    assert sim.backend.book.executions[-1].closed_size == D("0.02")


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
