"""
The config enables the plugin (issue 11) and the bot fails closed where it cannot work (issue 9):
a real ``FreqtradeBot`` against the simulator, every assertion on the simulator's journal.
"""

from collections.abc import Callable
from typing import Any

import ccxt
import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin import compat
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import ThreadedSimulatorServer
from tests.bot.conftest import SECTION, BotFactory, entry, margin_writes
from tests.conftest import log_has_re


pytestmark = pytest.mark.compat

NO_SECTION = r"no 'bybit_margin' section in the config and no bybit_margin attribute"


def messages(bot: FreqtradeBot) -> list[str]:
    """What the mixin sent through freqtrade's RPC."""
    return [m for m in bot.dataprovider._msg_queue if "Bybit margin" in m]


def bybit_margin_records(caplog: pytest.LogCaptureFixture, level: str) -> list[str]:
    """The mixin's own log lines at ``level``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelname == level and r.getMessage().startswith("Bybit margin")
    ]


# -- the config enables it ---------------------------------------------------------------------


def test_no_section_is_inert_with_one_warning_and_freqtrade_does_its_own_calls(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, bybit_margin=None)

    assert margin_writes(sim) == []
    warnings = bybit_margin_records(caplog_info, "WARNING")
    assert len(warnings) == 1
    assert "'bybit_margin'" in warnings[0]
    assert '"bybit_margin": {"leverage": 3}' in warnings[0]
    assert "_lev_prep" not in vars(bot.exchange)  # freqtrade's own per-order path

    assert bot.execute_entry("BTC/USDT:USDT", 70) is True  # at freqtrade's own 1x
    [order] = sim.requests(path=Endpoint.ORDER_CREATE, symbol="BTCUSDT")
    per_order = [e.path for e in margin_writes(sim, "BTCUSDT")]
    assert per_order == [Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE]
    assert all(e.seq < order.seq for e in margin_writes(sim))
    assert messages(bot) == []


def test_enabled_false_is_inert_on_purpose(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    bot = make_bot(bybit_sim_server, bybit_margin={**SECTION, "enabled": False})

    assert margin_writes(bybit_sim_server.sim) == []
    assert bybit_margin_records(caplog_info, "WARNING") == []
    assert log_has_re(r'"enabled": false: the plugin is inert on purpose', caplog_info)
    assert "_lev_prep" not in vars(bot.exchange)
    assert bot.strategy.bybit_margin_settings is None


# -- every pair_leverage key means something ---------------------------------------------------


def test_a_key_matching_no_whitelisted_pair_is_a_warning_naming_it(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    section = {**SECTION, "pair_leverage": {**SECTION["pair_leverage"], "DOGE/USDT:USDT": 7}}
    make_bot(bybit_sim_server, bybit_margin=section)

    warnings = bybit_margin_records(caplog_info, "WARNING")
    assert len(warnings) == 1
    assert "key 'DOGE/USDT:USDT' matches no pair of the whitelist" in warnings[0]
    assert log_has_re(r"4 of 4 pairs ready", caplog_info)


def test_spot_notation_key_stops_startup_with_did_you_mean(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    with pytest.raises(Exception, match=r"key 'BTC/USDT' matches no pair; did you mean "):
        make_bot(bybit_sim_server, bybit_margin={"leverage": 3, "pair_leverage": {"BTC/USDT": 7}})
    assert margin_writes(bybit_sim_server.sim) == []


def test_whitelist_change_rechecks_the_keys(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    bot = make_bot(bybit_sim_server)
    assert bybit_margin_records(caplog_info, "WARNING") == []

    bot.config["exchange"]["pair_whitelist"].remove("BTC/USDT:USDT")
    bot.active_pair_whitelist = bot._refresh_active_whitelist()
    bot.strategy.bot_loop_start(current_time=None)
    bot.strategy.bot_loop_start(current_time=None)

    warnings = bybit_margin_records(caplog_info, "WARNING")
    assert len(warnings) == 1
    assert "key 'BTC/USDT:USDT' matches no pair of the whitelist (3 pairs)" in warnings[0]


# -- fail closed where the plugin cannot work --------------------------------------------------


def old_ccxt(monkeypatch: pytest.MonkeyPatch) -> str:
    """A ccxt too old, and without an endpoint the plugin calls (ccxt re-defines its implicit
    endpoints on every instance, so the missing one is added to what the guard asks for)."""
    monkeypatch.setattr(ccxt, "__version__", "4.5.30")
    needs = (*compat.CCXT_BYBIT_NEEDS, "privateGetV5PositionNotInThisCcxt")
    monkeypatch.setattr(compat, "CCXT_BYBIT_NEEDS", needs)
    return (
        "ccxt 4.5.30; ccxt 4.5.30 is older than 4.5.63; "
        "missing ccxt.bybit.privateGetV5PositionNotInThisCcxt"
    )


def guard_line(monkeypatch: pytest.MonkeyPatch) -> str:
    """Whatever the guard says, the mixin says it once."""
    line = "freqtrade-bybit-margin needs freqtrade >=2025.10 (found freqtrade 2025.1)"
    monkeypatch.setattr(compat, "runtime_problem", lambda: line)
    return line


@pytest.mark.parametrize("setup", [old_ccxt, guard_line])
def test_runtime_problem_one_error_line_rpc_and_no_entry(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    caplog_info: Any,
    monkeypatch: pytest.MonkeyPatch,
    setup: Callable[[pytest.MonkeyPatch], str],
) -> None:
    sim = bybit_sim_server.sim
    expected = setup(monkeypatch)
    bot = make_bot(bybit_sim_server)  # freqtrade itself starts on these versions

    [error] = bybit_margin_records(caplog_info, "ERROR")
    assert expected in error
    assert error.endswith("; no entry will be made.")
    assert messages(bot)[-1] == error
    assert margin_writes(sim) == []
    assert entry(bot, "BTC/USDT:USDT") is False
    assert sim.requests(path=Endpoint.ORDER_CREATE) == []
    assert not any(r.exc_info for r in caplog_info.records)


def test_missing_freqtrade_internals_fail_closed_without_a_traceback(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    caplog_info: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server)
    caplog_info.clear()
    before = len(margin_writes(sim))

    monkeypatch.setattr(bot.dataprovider, "_exchange", object())
    bot.strategy.bot_start()

    [error] = bybit_margin_records(caplog_info, "ERROR")
    assert "dp._exchange._api" in error
    assert "no entry will be made" in error
    assert entry(bot, "ETH/USDT:USDT") is False
    assert sim.requests(path=Endpoint.ORDER_CREATE) == []
    assert len(margin_writes(sim)) == before
    assert "AttributeError" not in caplog_info.text
    assert not any(r.exc_info for r in caplog_info.records)
