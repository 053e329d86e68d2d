"""With default settings the new fidelity (position modes, the IP limit, key rights, paged risk
limits) leaves freqtrade's normal live loop untouched: four pairs enter and exit through a real
ccxt client (the calls of freqtrade-live-path.md §2, including the coin-level one-way switch
at every startup and snake_case ``position_idx`` on orders)."""

import ccxt
import pytest

from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    mock_bybit,
)


PAIRS = {
    "BTC/USDT:USDT": 0.001,
    "ETH/USDT:USDT": 0.01,
    "SOL/USDT:USDT": 0.1,
    "XRP/USDT:USDT": 10,
}


@pytest.mark.parametrize("account_type", ["classic", "uta2"])
def test_four_pairs_trade_normally(account_type: str) -> None:
    sim = BybitSimulator(account_type, extra_linear_symbols=20)  # type: ignore[arg-type]
    ex = ccxt.bybit(
        {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, "enableRateLimit": False}
    )
    with mock_bybit(sim):
        ex.load_markets()
        for _ in range(2):  # startup, then a restart: the same coin-level switch answers 0
            ex.set_position_mode(False)
        ex.is_unified_enabled()
        tiers = ex.fetch_leverage_tiers()
        assert set(PAIRS) | {"S020/USDT:USDT"} <= set(tiers)  # every page walked
        ex.fetch_balance()
        assert ex.fetch_positions() == []
        for pair, amount in PAIRS.items():
            ex.set_margin_mode("isolated", pair, {"leverage": 3.0})
            if account_type == "uta2":
                ex.set_leverage(3, pair)
            ask = ex.fetch_order_book(pair, 1)["asks"][0][0]
            order = ex.create_order(pair, "limit", "buy", amount, ask, {"position_idx": 0})
            fetched = ex.fetch_order(order["id"], pair, {"acknowledged": True})
            assert fetched["status"] == "closed"
        held = {p["symbol"]: (p["side"], p["leverage"]) for p in ex.fetch_positions()}
        assert held == dict.fromkeys(PAIRS, ("long", 3.0))
        for pair, amount in PAIRS.items():
            ex.create_order(
                pair, "market", "sell", amount, None, {"reduceOnly": True, "position_idx": 0}
            )
        assert ex.fetch_positions() == []
    answers = {(e.http_status, e.ret_code) for e in sim.journal}
    assert answers <= {(200, 0)}
