"""
Keeping pairs at target while the bot runs (issues 10, 11, 12): drift made outside the bot, pairs
that join the whitelist, account-wide changes announced, and only the service's confirmation
counts. A real ``FreqtradeBot`` against the simulator; assertions on its journal and state.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.bot.conftest import SECTION, BotFactory, entry, margin_writes
from tests.conftest import Later, log_has_re


pytestmark = pytest.mark.compat

VERIFY = {**SECTION, "verify_interval": 1}


def loop_start(bot: FreqtradeBot) -> None:
    bot.strategy.bot_loop_start(current_time=datetime.now(UTC))


def rpc(bot: FreqtradeBot) -> list[str]:
    return [m for m in bot.dataprovider._msg_queue if "Bybit margin" in m]


# -- drift ------------------------------------------------------------------------------------


def test_drift_on_a_flat_pair_is_repaired_before_the_next_entry(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    later: Later,
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, bybit_margin=VERIFY)
    sim.set_symbol("BTCUSDT", leverage="10")  # from outside: the web UI, another bot

    later(2)  # more than verify_interval
    # the entry's read finds it changed outside: set back, and this entry waits for the next
    # check (a client that changes it again would be seen first) ...
    assert entry(bot, "BTC/USDT:USDT") is False
    assert sim.symbol_state("BTCUSDT")["leverage"] == "5"
    later(2)
    assert entry(bot, "BTC/USDT:USDT") is True  # ... which finds it stayed put

    [order] = sim.requests(path=Endpoint.ORDER_CREATE, symbol="BTCUSDT")
    state = sim.symbol_state("BTCUSDT")
    assert float(state["position_leverage"]) == 5.0
    assert state["trade_mode"] == 1
    repair = [e for e in margin_writes(sim, "BTCUSDT") if e.ret_code == 0][-1]
    assert repair.seq < order.seq
    assert float(repair.body["buyLeverage"]) == 5.0


def test_drift_on_a_busy_pair_refuses_the_entry_and_leaves_the_pair_alone(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    later: Later,
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, bybit_margin=VERIFY)
    sim.open_position("ETHUSDT", side="Buy", size="0.1", leverage="10")  # someone else's
    writes = len(margin_writes(sim, "ETHUSDT"))

    later(2)
    assert entry(bot, "ETH/USDT:USDT") is False

    assert sim.requests(path=Endpoint.ORDER_CREATE) == []
    assert len(margin_writes(sim, "ETHUSDT")) == writes
    assert float(sim.symbol_state("ETHUSDT")["leverage"]) == 10.0
    assert any("ETH/USDT:USDT" in m and "refused" in m for m in rpc(bot))


def test_the_loop_repairs_drift_and_tells_the_user(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    later: Later,
    caplog_info: Any,
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, bybit_margin=VERIFY)
    loop_start(bot)  # within verify_interval: nothing to read
    reads = len(sim.requests(path=Endpoint.POSITION_LIST))
    sim.set_symbol("SOLUSDT", trade_mode=0, leverage="7")

    later(2)
    loop_start(bot)

    assert len(sim.requests(path=Endpoint.POSITION_LIST)) > reads
    state = sim.symbol_state("SOLUSDT")
    assert (state["trade_mode"], float(state["leverage"])) == (1, 3.0)
    assert any("SOL/USDT:USDT was changed outside the bot" in m for m in rpc(bot))
    assert log_has_re(r"SOL/USDT:USDT was changed outside the bot", caplog_info)


# -- late joiners ------------------------------------------------------------------------------


def test_a_pair_joining_the_whitelist_is_prepared_in_the_loop_before_its_entry(
    make_bot: BotFactory,
) -> None:
    # Five entries in one loop: freqtrade's own position/list reads (two per entry, ccxt's
    # throttle off in tests) would exceed Classic's 10/s; the plugin paces its own requests.
    with ThreadedSimulatorServer(BybitSimulator(rate_limits=False)) as server:
        bot = make_bot(server, max_open_trades=5, initial_state="running")
        bot.config["exchange"]["pair_whitelist"].append("DOGE/USDT:USDT")
        bot.process()
        bot.cleanup()
    sim = server.sim

    [order] = sim.requests(path=Endpoint.ORDER_CREATE, symbol="DOGEUSDT")
    [prepared] = [e for e in margin_writes(sim, "DOGEUSDT") if e.symbol == "DOGEUSDT"]
    assert (prepared.path, prepared.ret_code) == (Endpoint.SWITCH_ISOLATED, 0)
    assert float(prepared.body["buyLeverage"]) == 3.0
    # prepared in bot_loop_start: before the entry began (its order book read), none after
    [book, *_] = sim.requests(path=Endpoint.ORDERBOOK, symbol="DOGEUSDT")
    assert prepared.seq < book.seq < order.seq
    assert float(sim.symbol_state("DOGEUSDT")["position_leverage"]) == 3.0
    orders = sim.requests(path=Endpoint.ORDER_CREATE)
    assert len(orders) == 5
    assert all(e.seq < orders[0].seq for e in margin_writes(sim))  # 0 per entry


# -- announcements and what counts as confirmed -----------------------------------------------


def test_the_account_wide_change_is_sent_through_rpc_once(make_bot: BotFactory) -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="REGULAR_MARGIN")
    with ThreadedSimulatorServer(sim) as server:
        bot = make_bot(server)
        announced = [m for m in rpc(bot) if "ISOLATED_MARGIN" in m]
        assert len(announced) == 1
        assert sim.account_margin_mode == "ISOLATED_MARGIN"
        bot.cleanup()


def test_a_garbled_answer_is_not_ready_and_its_pair_is_not_traded(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT", kind="html", times=None)
    bot = make_bot(bybit_sim_server)

    assert log_has_re(r"Bybit margin: 3 of 4 pairs ready", caplog_info)
    assert not log_has_re(r"SOL/USDT:USDT\s+switch-isolated\s+isolated\s+3x\s+changed", caplog_info)
    assert entry(bot, "SOL/USDT:USDT") is False
    assert sim.requests(path=Endpoint.ORDER_CREATE) == []
    assert sim.symbol_state("SOLUSDT")["trade_mode"] == 0
