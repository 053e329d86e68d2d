"""
Bybit's word, not memory (issue 17): every order goes out only where Bybit's state matches what
freqtrade records for its trade, whatever path the order's leverage took (forced entries,
strategy overrides, position adjustments) and whatever changed the account in between (another
client, the account-wide mode). A real ``FreqtradeBot`` against the simulator; each test checks
the simulator's state at the moment of every order against freqtrade's own trade records.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.constants import AccountMarginMode, Endpoint
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.bot.conftest import SECTION, BotFactory
from tests.bot.trades import Outside, add, close, enter, entered_at, orders_off_their_trades
from tests.conftest import Later, log_has_re


pytestmark = pytest.mark.compat

BTC, BTCUSDT = "BTC/USDT:USDT", "BTCUSDT"  # configured at 5x


@pytest.fixture(params=["classic", "uta2"])
def server(request: pytest.FixtureRequest) -> Iterator[ThreadedSimulatorServer]:
    # freqtrade's own reads run without ccxt's throttle in these tests: Bybit's per-UID limits
    # are the pacing tests' business, not this file's
    sim = BybitSimulator(account_type=request.param, rate_limits=False)
    with ThreadedSimulatorServer(sim) as server:
        yield server


@pytest.fixture
def uta2() -> Iterator[ThreadedSimulatorServer]:
    sim = BybitSimulator(account_type="uta2", rate_limits=False)
    with ThreadedSimulatorServer(sim) as server:
        yield server


def loop(bot: FreqtradeBot) -> None:
    bot.strategy.bot_loop_start(current_time=datetime.now(UTC))


def bot_writes(sim: BybitSimulator, symbol: str) -> list[Any]:
    """POSTs on ``symbol`` signed with the bot's key (not the other client's)."""
    return [
        e
        for e in sim.requests(method="POST", symbol=symbol)
        if e.headers.get("X-BAPI-API-KEY") == DEFAULT_API_KEY
    ]


def rpc_messages(bot: FreqtradeBot) -> list[str]:
    return [m for m in bot.dataprovider._msg_queue if "Bybit margin" in m]


def test_a_forced_entry_at_another_leverage_then_a_normal_entry(
    server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    sim = server.sim
    bot = make_bot(server)

    assert enter(bot, BTC, leverage=2)  # RPC / API forceenter: strategy.leverage() skipped
    close(bot, BTC)
    assert enter(bot, BTC)

    assert entered_at(sim, BTCUSDT) == ["2", "5"]
    assert orders_off_their_trades(sim) == []


def test_a_strategy_overriding_leverage_then_a_normal_entry(
    server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    sim = server.sim
    bot = make_bot(server, strategy="OverridingStrategy")

    assert enter(bot, BTC, tag="low")
    close(bot, BTC)
    assert enter(bot, BTC)

    assert entered_at(sim, BTCUSDT) == ["2", "5"]
    assert orders_off_their_trades(sim) == []


def test_a_position_adjustment_of_a_trade_at_another_leverage_then_a_new_trade(
    server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    sim = server.sim
    bot = make_bot(server)

    assert enter(bot, BTC, leverage=2)
    assert add(bot, BTC)  # freqtrade adds at trade.leverage; confirm_trade_entry is not asked
    close(bot, BTC)
    assert enter(bot, BTC)

    assert entered_at(sim, BTCUSDT) == ["2", "2", "5"]
    assert orders_off_their_trades(sim) == []


def test_an_outside_change_under_an_open_trade_then_its_add_order(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later
) -> None:
    sim = server.sim
    bot = make_bot(server)
    assert enter(bot, BTC)

    assert Outside(sim).set_leverage(BTCUSDT, "10") == 0  # the web UI, under the open trade
    later(4)
    assert add(bot, BTC)

    assert entered_at(sim, BTCUSDT) == ["5", "5"]  # set back to the trade's 5x first
    assert orders_off_their_trades(sim) == []


def test_an_outside_change_15s_after_start_then_an_entry_4s_later(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later
) -> None:
    """The default verify_interval (60 s) is not what protects this entry: the entry proof
    reads Bybit within entry_check_max_age (2 s) before every entry."""
    sim = server.sim
    bot = make_bot(server)
    later(15)
    assert Outside(sim).set_leverage(BTCUSDT, "10") == 0
    later(4)

    entered = enter(bot, BTC)

    assert entered_at(sim, BTCUSDT) == (["5"] if entered else [])
    assert orders_off_their_trades(sim) == []


def test_an_outside_flip_of_the_account_to_cross_then_an_entry(
    uta2: ThreadedSimulatorServer, make_bot: BotFactory, later: Later, caplog_info: Any
) -> None:
    sim = uta2.sim
    bot = make_bot(uta2)
    assert Outside(sim).set_account_mode(AccountMarginMode.CROSS) == 0
    later(4)

    assert not enter(bot, BTC)  # switched back to isolated; the entry waits for the next check
    assert sim.account_margin_mode == AccountMarginMode.ISOLATED
    later(3)
    assert enter(bot, BTC)  # it stayed put

    [order] = sim.requests(path=Endpoint.ORDER_CREATE)
    assert order.at_order is not None
    assert order.at_order["account_margin_mode"] == AccountMarginMode.ISOLATED
    assert orders_off_their_trades(sim) == []
    assert log_has_re(r"REGULAR_MARGIN -> ISOLATED_MARGIN: affects every position", caplog_info)


@pytest.mark.parametrize("by_bybit", [False, True], ids=["outside", "bybit"])
def test_an_open_trade_changed_outside_is_reported_then_the_next_entry_is_at_target(
    server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    later: Later,
    caplog_info: Any,
    by_bybit: bool,
) -> None:
    sim = server.sim
    bot = make_bot(server, bybit_margin={**SECTION, "verify_interval": 10})
    assert enter(bot, BTC)
    writes_before = len(bot_writes(sim, BTCUSDT))

    if by_bybit:  # Bybit lowers its maximum and the position's leverage with it
        sim.set_max_leverage(BTCUSDT, "4", force=True)
    else:
        assert Outside(sim).set_leverage(BTCUSDT, "10") == 0
    later(11)  # verify_interval, then one loop
    loop(bot)

    found = "4x" if by_bybit else "10x"
    who = "Bybit adjusted it" if by_bybit else "changed outside the bot"
    said = (
        rf"BTC/USDT:USDT: the open trade is at isolated 5x, Bybit's position at isolated {found} "
        rf"\({who}"
    )
    assert log_has_re(said, caplog_info)
    assert len([m for m in rpc_messages(bot) if "the open trade is at" in m]) == 1
    loop(bot)  # said once
    assert len([m for m in rpc_messages(bot) if "the open trade is at" in m]) == 1
    # the loop writes nothing under the open trade
    assert len(bot_writes(sim, BTCUSDT)) == writes_before

    close(bot, BTC)
    if by_bybit:
        sim.set_max_leverage(BTCUSDT, "50")  # Bybit raises it again
    assert enter(bot, BTC)

    assert entered_at(sim, BTCUSDT) == ["5", "5"]
    assert orders_off_their_trades(sim) == []
