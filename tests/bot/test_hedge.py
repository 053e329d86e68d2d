"""
The position-mode guard (issue 18) in a real ``FreqtradeBot`` against the simulator: a symbol in
hedge mode (Bybit's priority is symbol > coin, so freqtrade's coin-level one-way switch at
startup leaves it) would refuse every freqtrade order (``positionIdx`` 0) with 10001. A flat one
is switched to one-way and traded at its target; one with a position is refused, never written.
https://bybit-exchange.github.io/docs/v5/position/position-mode
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.bot.conftest import BotFactory
from tests.bot.trades import enter, entered_at, open_trade, orders_off_their_trades
from tests.conftest import Later, log_has_re


BTC, BTCUSDT = "BTC/USDT:USDT", "BTCUSDT"  # configured at 5x
ETH, ETHUSDT = "ETH/USDT:USDT", "ETHUSDT"  # 4x
SOL, SOLUSDT = "SOL/USDT:USDT", "SOLUSDT"  # 3x
ONE_WAY = 0  # the simulator's ``position_mode`` (switch-mode's ``mode``)


def start(account: str) -> ThreadedSimulatorServer:
    # freqtrade's own reads run without ccxt's throttle here: pacing is not this file's business
    return ThreadedSimulatorServer(BybitSimulator(account_type=account, rate_limits=False))


@pytest.fixture(params=["classic", "uta2"])
def server(request: pytest.FixtureRequest) -> Iterator[ThreadedSimulatorServer]:
    with start(request.param) as server:
        yield server


@pytest.fixture
def classic() -> Iterator[ThreadedSimulatorServer]:
    with start("classic") as server:
        yield server


def hedge_at_target(sim: BybitSimulator, symbol: str, leverage: str) -> None:
    """The symbol in hedge mode, both sides isolated at the pair's target: a reader taking any
    one row finds it "ready"."""
    sim.set_symbol(symbol, trade_mode=1, leverage=leverage)
    sim.set_position_mode(symbol, hedge=True)


def switches(sim: BybitSimulator, symbol: str) -> list[Any]:
    """The symbol-level switch-mode writes (freqtrade's own startup one is by coin)."""
    return sim.requests(path=Endpoint.SWITCH_POSITION_MODE, method="POST", symbol=symbol)


def orders_met(sim: BybitSimulator) -> list[tuple[str | None, int | None, Any]]:
    """(symbol, retCode, the position mode the order met) of every order."""
    return [
        (e.symbol, e.ret_code, (e.at_order or {}).get("position_mode"))
        for e in sim.requests(path=Endpoint.ORDER_CREATE)
    ]


def rpc_messages(bot: FreqtradeBot, *words: str) -> list[str]:
    return [m for m in bot.dataprovider._msg_queue if all(w in m for w in words)]


def test_a_flat_hedged_pair_is_switched_once_and_traded_at_its_target(
    server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = server.sim
    hedge_at_target(sim, BTCUSDT, "5")

    bot = make_bot(server)
    assert enter(bot, BTC)

    [switch] = switches(sim, BTCUSDT)
    assert (switch.body["mode"], switch.ret_code) == (ONE_WAY, RetCode.OK)
    [(_, code, mode)] = orders_met(sim)
    assert (code, mode) == (RetCode.OK, ONE_WAY)
    assert entered_at(sim, BTCUSDT) == ["5"]
    assert orders_off_their_trades(sim) == []  # at the leverage freqtrade records
    trade = open_trade(bot, BTC)
    assert trade is not None
    assert trade.leverage == 5
    assert log_has_re(
        r"BTC/USDT:USDT .* changed: was in hedge mode, switched to one-way", caplog_info
    )


def test_a_hedged_pair_with_a_position_is_refused_and_never_written_other_pairs_trade(
    classic: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    """Bybit lists the Sell side first: BTC's long makes ``list[0]`` the empty side, at the
    target (5x); ETH holds a short."""
    sim = classic.sim
    hedge_at_target(sim, BTCUSDT, "5")
    sim.open_position(BTCUSDT, side="Buy", size="0.01", leverage="10")
    hedge_at_target(sim, ETHUSDT, "4")
    sim.open_position(ETHUSDT, side="Sell", size="0.1")

    bot = make_bot(classic)
    assert not enter(bot, BTC)
    assert not enter(bot, ETH)
    assert not enter(bot, BTC)  # said once
    assert enter(bot, SOL)

    assert [(symbol, code) for symbol, code, _ in orders_met(sim)] == [(SOLUSDT, RetCode.OK)]
    assert [e.path for e in sim.requests(method="POST", symbol=BTCUSDT)] == []
    assert [e.path for e in sim.requests(method="POST", symbol=ETHUSDT)] == []
    assert log_has_re(r"BTC/USDT:USDT .* skipped: hedge mode with open position \(Buy", caplog_info)
    refused = [
        r
        for r in caplog_info.records
        if r.levelname == "WARNING" and "entry on BTC/USDT:USDT refused" in r.getMessage()
    ]
    assert len(refused) == 1
    assert "hedge mode" in refused[0].getMessage()
    assert len(rpc_messages(bot, "entry on BTC/USDT:USDT refused", "hedge mode")) == 1
    assert len(rpc_messages(bot, "entry on ETH/USDT:USDT refused", "hedge mode")) == 1
    assert orders_off_their_trades(sim) == []


def test_a_confirmed_pair_switched_to_hedge_between_entries_gets_no_order_in_hedge_mode(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later
) -> None:
    sim = server.sim
    bot = make_bot(server)
    assert switches(sim, BTCUSDT) == []
    sim.set_position_mode(BTCUSDT, hedge=True)  # the web UI, after the bot prepared BTC
    later(3)

    assert not enter(bot, BTC)  # switched back; the entry waits for the next check
    assert sim.symbol_state(BTCUSDT)["position_mode"] == ONE_WAY
    later(3)
    assert enter(bot, BTC)

    assert [e.ret_code for e in switches(sim, BTCUSDT)] == [RetCode.OK]
    assert orders_met(sim) == [(BTCUSDT, RetCode.OK, ONE_WAY)]
    assert entered_at(sim, BTCUSDT) == ["5"]
    assert orders_off_their_trades(sim) == []
