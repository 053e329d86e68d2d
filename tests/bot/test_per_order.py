"""
Every order against Bybit's word (issues 10 and 17): freqtrade's per-order
``Exchange._lev_prep`` sends nothing while the pair is confirmed at exactly the order's mode and
leverage by a fresh read or answer; otherwise the plugin reads the pair (one round trip) and
writes only what differs, through its own parsed requests. A real ``FreqtradeBot`` against the
simulator.
"""

from typing import Any

import pytest
from freqtrade.exchange.bybit import Bybit

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.bot.conftest import EXPECTED, PAIRS, SECTION, BotFactory, entry, margin_writes
from tests.conftest import Later


pytestmark = pytest.mark.compat


@pytest.fixture(params=["classic", "uta2"])
def server(request: pytest.FixtureRequest) -> Any:
    with ThreadedSimulatorServer(BybitSimulator(account_type=request.param)) as server:
        yield server


def test_entries_on_confirmed_pairs_send_no_margin_request_and_open_at_target(
    server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    sim = server.sim
    bot = make_bot(server)
    prepared = len(margin_writes(sim))
    assert prepared > 0

    for pair in PAIRS:
        assert entry(bot, pair) is True

    orders = sim.requests(path=Endpoint.ORDER_CREATE)
    assert {e.symbol for e in orders} == set(EXPECTED)
    assert len(margin_writes(sim)) == prepared  # 0 per entry (freqtrade alone: 2 per entry)
    assert all(e.seq < orders[0].seq for e in margin_writes(sim))
    for symbol, leverage in EXPECTED.items():
        state = sim.symbol_state(symbol)
        assert state["trade_mode"] == 1
        assert float(state["position_size"]) > 0
        assert float(state["position_leverage"]) == float(leverage)


def test_another_leverage_an_unconfirmed_or_a_stale_pair_are_read_then_written_by_the_plugin(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    later: Later,
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, bybit_margin={**SECTION, "entry_check_max_age": 30})

    def sent(pair: str, leverage: float) -> list[tuple[str, float | None]]:
        symbol = bot.exchange.markets[pair]["id"]
        before = len(sim.requests(symbol=symbol))
        bot.exchange._lev_prep(pair, leverage, "buy")
        return [
            (e.path, float(e.body["buyLeverage"]) if e.body else None)
            for e in sim.requests(symbol=symbol)[before:]
        ]

    assert sent("ETH/USDT:USDT", 4) == []  # confirmed at exactly 4x, 30 s are not over
    # at 2x: one read shows isolated 5x, so only the leverage is written (freqtrade alone
    # sends switch-isolated and set-leverage, and parses neither answer)
    assert sent("BTC/USDT:USDT", 2) == [
        (Endpoint.POSITION_LIST, None),
        (Endpoint.SET_LEVERAGE, 2.0),
    ]
    assert sim.symbol_state("BTCUSDT")["leverage"] == "2"
    assert [p for p, _ in sent("DOGE/USDT:USDT", 3)] == [  # never prepared: cross 10x
        Endpoint.POSITION_LIST,
        Endpoint.SWITCH_ISOLATED,  # after the account's open positions and orders were read
    ]
    later(31)  # the confirmation is older than entry_check_max_age: read again, nothing differs
    assert sent("SOL/USDT:USDT", 3) == [(Endpoint.POSITION_LIST, None)]
    # the plugin's own parsed answers confirm, at the order's leverage
    for pair, leverage in (("BTC/USDT:USDT", 2), ("DOGE/USDT:USDT", 3)):
        result = bot.strategy.bybit_margin_result(pair)
        assert result is not None
        assert (result.confirmed, result.target.leverage) == (True, leverage)


def test_an_unknown_lev_prep_signature_is_left_alone_and_said_once(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog_info: Any,
) -> None:
    original = Bybit._lev_prep

    def changed(
        self: Bybit,
        pair: str,
        leverage: float,
        side: str,
        accept_fail: bool = False,
        *,
        tag: str = "",
    ) -> None:
        original(self, pair, leverage, side, accept_fail)

    monkeypatch.setattr(Bybit, "_lev_prep", changed)
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server)
    prepared = len(margin_writes(sim, "BTCUSDT"))

    assert "_lev_prep" not in vars(bot.exchange)
    said = [m for m in caplog_info.messages if "_lev_prep is not the one this plugin knows" in m]
    assert len(said) == 1
    assert "freqtrade's own margin-mode and leverage calls before each order remain" in said[0]
    assert entry(bot, "BTC/USDT:USDT") is True
    [order] = sim.requests(path=Endpoint.ORDER_CREATE)
    per_order = margin_writes(sim, "BTCUSDT")[prepared:]
    assert [e.path for e in per_order] == [Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE]
    assert all(e.seq < order.seq for e in per_order)
