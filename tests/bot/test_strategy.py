"""
BybitMarginMixin inside a real FreqtradeBot, against the simulator over HTTP.

Both of freqtrade's ccxt clients (sync on requests, async on aiohttp) point at a
``ThreadedSimulatorServer``; every assertion about the exchange reads the simulator's journal
or state, never a mock.
"""

import json
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.bot.strategy import BybitMarginMixin
from freqtrade_bybit_margin.config import MarginSettings
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.service.memory import Backoff
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.bot.conftest import (
    EXPECTED,
    SECTION,
    BotFactory,
    confirm,
    entry,
    leverage,
    margin_writes,
    writes,
)
from tests.bot.trades import orders_off_their_trades
from tests.conftest import TESTS, Later, log_has_re, sim_exchange_config


pytestmark = pytest.mark.compat


# -- live: preparation at startup ---------------------------------------------------------------


def test_classic_prepares_every_pair_in_bot_start(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    make_bot(bybit_sim_server)

    switched = writes(sim, Endpoint.SWITCH_ISOLATED)
    assert {e.symbol: e.body["buyLeverage"] for e in switched} == EXPECTED
    assert all(e.body["tradeMode"] == 1 for e in switched)
    for symbol, target in EXPECTED.items():
        state = sim.symbol_state(symbol)
        assert state["trade_mode"] == 1
        assert float(state["leverage"]) == float(target)
    assert writes(sim, Endpoint.SET_MARGIN_MODE) == []
    assert log_has_re(r"Bybit margin: 4 of 4 pairs ready \(Classic", caplog_info)
    assert log_has_re(r"BTC/USDT:USDT\s+switch-isolated\s+isolated\s+5x\s+changed", caplog_info)


def test_uta2_sets_account_mode_once_then_leverage_per_pair(
    uta2_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = uta2_server.sim
    make_bot(uta2_server)

    assert len(writes(sim, Endpoint.SET_MARGIN_MODE)) == 1
    assert writes(sim, Endpoint.SWITCH_ISOLATED) == []
    set_leverage = writes(sim, Endpoint.SET_LEVERAGE)
    assert {e.symbol: e.body["buyLeverage"] for e in set_leverage} == EXPECTED
    assert log_has_re(r"4 of 4 pairs ready \(UTA2.0", caplog_info)
    assert log_has_re(r"SOL/USDT:USDT\s+account-mode\+set-leverage\s+isolated\s+3x", caplog_info)


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_restart_changes_nothing(account: str, make_bot: BotFactory, caplog_info: Any) -> None:
    """A restart where everything holds writes nothing, neither at startup nor before its
    orders (freqtrade's own per-order calls included), and its entries go out."""
    with ThreadedSimulatorServer(BybitSimulator(account_type=account)) as server:
        make_bot(server).cleanup()
        before = len(margin_writes(server.sim))
        caplog_info.clear()
        bot = make_bot(server)

        assert entry(bot, "XRP/USDT:USDT") is True
        assert entry(bot, "BTC/USDT:USDT") is True
        assert margin_writes(server.sim)[before:] == []
        assert orders_off_their_trades(server.sim) == []
    assert log_has_re(r"XRP/USDT:USDT\s+\S+\s+isolated\s+3x\s+unchanged", caplog_info)


# -- live: the entry gate ----------------------------------------------------------------------


def test_refused_pair_is_blocked_others_trade(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    sim.refuse(path=Endpoint.SWITCH_ISOLATED, symbol="XRPUSDT", ret_code=110013)
    bot = make_bot(bybit_sim_server)
    assert log_has_re(r"3 of 4 pairs ready", caplog_info)

    assert entry(bot, "XRP/USDT:USDT") is False
    assert entry(bot, "BTC/USDT:USDT") is True
    orders = {e.symbol for e in sim.requests(path=Endpoint.ORDER_CREATE)}
    assert orders == {"BTCUSDT"}
    assert log_has_re(r"entry on XRP/USDT:USDT refused: not confirmed isolated 3x", caplog_info)
    assert any("XRP/USDT:USDT" in m for m in bot.dataprovider._msg_queue)


def test_warn_lets_a_refused_pair_trade(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    sim.refuse(path=Endpoint.SWITCH_ISOLATED, symbol="XRPUSDT", ret_code=110013)
    bot = make_bot(bybit_sim_server, bybit_margin={**SECTION, "on_failure": "warn"})
    assert entry(bot, "XRP/USDT:USDT") is True
    assert log_has_re(r"entry on XRP/USDT:USDT allowed although not confirmed", caplog_info)


def test_pair_added_after_startup_is_prepared_at_entry(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server)
    assert sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="DOGEUSDT") == []

    assert entry(bot, "DOGE/USDT:USDT") is True
    switch = sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="DOGEUSDT")
    order = sim.requests(path=Endpoint.ORDER_CREATE, symbol="DOGEUSDT")
    assert len(order) == 1
    # ours, before the order; freqtrade's own per-order calls are skipped: the pair is confirmed
    assert [e.ret_code for e in switch] == [0]
    assert sim.requests(path=Endpoint.SET_LEVERAGE, symbol="DOGEUSDT") == []
    assert switch[0].seq < order[0].seq
    assert sim.symbol_state("DOGEUSDT")["trade_mode"] == 1


def test_retryable_failure_is_retried_after_the_interval(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    later: Later,
) -> None:
    sim = bybit_sim_server.sim
    # a transient server error (10016): retried with back-off within the request, then later
    # (a 10006 would now be waited out until its announced reset, up to the startup deadline)
    sim.refuse(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT", ret_code=10016)
    bot = make_bot(bybit_sim_server)
    result = bot.strategy.bybit_margin_result("SOL/USDT:USDT")
    assert result is not None
    assert result.retryable
    tries = len(sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT"))

    assert entry(bot, "SOL/USDT:USDT") is False  # too early: no new request
    assert len(sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT")) == tries

    sim.clear_faults()
    ahead = Backoff().most + 1
    later(ahead)
    assert entry(bot, "SOL/USDT:USDT") is True
    assert sim.symbol_state("SOLUSDT")["trade_mode"] == 1
    assert len(sim.requests(path=Endpoint.ORDER_CREATE, symbol="SOLUSDT")) == 1


def test_exception_in_the_mixin_refuses_the_entry(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog_info: Any,
) -> None:
    bot = make_bot(bybit_sim_server)
    service = bot.strategy._bbm_st.live.service

    def boom(target: Any, **kwargs: Any) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "ensure", boom)
    assert confirm(bot, "BTC/USDT:USDT") is False
    assert entry(bot, "BTC/USDT:USDT") is False
    assert bybit_sim_server.sim.requests(path=Endpoint.ORDER_CREATE) == []
    assert log_has_re(r"entry check for BTC/USDT:USDT failed; entry refused", caplog_info)


def test_exception_in_leverage_answers_1_and_the_gate_refuses(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog_info: Any,
) -> None:
    bot = make_bot(bybit_sim_server)

    def boom(self: MarginSettings, pair: str) -> float:
        raise RuntimeError("boom")

    monkeypatch.setattr(MarginSettings, "leverage_for", boom)
    assert leverage(bot, "ETH/USDT:USDT", 50) == 1.0
    assert confirm(bot, "ETH/USDT:USDT") is False
    assert log_has_re(r"leverage\(\) failed for ETH/USDT:USDT; answering 1.0", caplog_info)
    assert log_has_re(r"entry on ETH/USDT:USDT refused: leverage\(\) failed", caplog_info)


def test_leverage_is_configured_and_capped_once(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    bot = make_bot(bybit_sim_server)

    assert leverage(bot, "ETH/USDT:USDT", 50) == 4
    assert leverage(bot, "BTC/USDT:USDT", 2) == 2
    assert leverage(bot, "BTC/USDT:USDT", 2) == 2
    capped = [r for r in caplog_info.records if "above freqtrade's max_leverage" in r.message]
    assert len(capped) == 1
    assert "BTC/USDT:USDT: configured leverage 5x" in capped[0].message


# -- other run modes: no private request -------------------------------------------------------


def test_dry_run_sends_no_private_request(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, live=False)
    assert "_lev_prep" not in vars(bot.exchange)  # freqtrade's own (dry) order path
    assert entry(bot, "BTC/USDT:USDT") is True
    assert [e.path for e in sim.requests() if e.signed] == []
    assert log_has_re(r"Bybit margin plan \(dry_run: no private request", caplog_info)
    assert log_has_re(r"ETH/USDT:USDT\s+unknown \(no keys\)\s+isolated\s+4x\s+planned", caplog_info)


@pytest.mark.parametrize("runmode", [RunMode.BACKTEST, RunMode.HYPEROPT, RunMode.DRY_RUN])
def test_other_run_modes_make_no_request_even_with_keys(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, runmode: RunMode
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server)
    before = len(sim.requests())
    bot.config["runmode"] = runmode
    bot.strategy.bot_start()
    assert confirm(bot, "BTC/USDT:USDT") is True
    assert len(sim.requests()) == before


# -- startup errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"leverge": 3}, "bybit_margin: unknown key 'leverge' (in the config); allowed keys: "
         "'enabled', 'margin_mode', 'leverage', 'pair_leverage', 'on_failure', "
         "'verify_interval', 'entry_check', 'entry_check_max_age', 'over_max', 'fill_tiers'. "
         "Did you mean 'leverage'?"),
        ({"margin_mode": "cross"}, "bybit_margin.margin_mode: 'cross' differs from freqtrade's "
         "margin_mode 'isolated'"),
        ({"leverage": 3, "pair_leverage": {"BTC/.*": 150}}, "bybit_margin: leverage 150 for "
         "BTC/USDT:USDT is not allowed by its market; allowed: 1 to"),
    ],
)  # fmt: skip
def test_config_errors_stop_startup(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, section: Any, message: str
) -> None:
    with pytest.raises(Exception, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        make_bot(bybit_sim_server, bybit_margin=section)
    assert writes(bybit_sim_server.sim, Endpoint.SWITCH_ISOLATED) == []


# -- strategies that do not reach the mixin --------------------------------------------------


def test_bot_start_override_without_super_is_caught_at_first_entry(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    bot = make_bot(bybit_sim_server, strategy="ForgetfulStrategy")
    assert writes(sim, Endpoint.SWITCH_ISOLATED) == []

    assert entry(bot, "ETH/USDT:USDT") is True
    assert log_has_re(r"BybitMarginMixin.bot_start\(\) never ran", caplog_info)
    assert {e.symbol for e in writes(sim, Endpoint.SWITCH_ISOLATED)} == set(EXPECTED)


def test_wrong_base_order_is_reported(caplog_info: Any) -> None:
    from freqtrade.strategy import IStrategy

    class Backwards(IStrategy, BybitMarginMixin):  # type: ignore[misc]
        pass

    assert log_has_re(
        r"Backwards: IStrategy.confirm_trade_entry does not call super\(\).*"
        r"Put the mixin first: class Backwards\(BybitMarginMixin, IStrategy\)",
        caplog_info,
    )


# -- the sample strategy and config, live against the simulator --------------------------------


def test_sample_strategy_enters_long_in_its_first_loop(
    bybit_sim_server: ThreadedSimulatorServer, tmp_path: Any, caplog_info: Any
) -> None:
    """user_data/config.json + BybitMarginSample, live, 1m: the demo's first loop."""
    config = json.loads((TESTS.parent / "user_data" / "config.json").read_text())
    config["exchange"].update(
        sim_exchange_config(bybit_sim_server.url, key=DEFAULT_API_KEY, secret=DEFAULT_API_SECRET)
    )
    config.update(
        runmode=RunMode.LIVE,
        dry_run=False,
        timeframe="1m",
        strategy_path=str(TESTS.parent / "user_data" / "strategies"),
        datadir=tmp_path / "data",
        user_data_dir=tmp_path,
        db_url="sqlite://",
        original_config={},
        initial_state="running",
    )
    config["exchange"]["ccxt_config"]["enableRateLimit"] = False  # ccxt's throttle: slower only
    bot = FreqtradeBot(config)
    try:
        assert log_has_re(r"4 of 4 pairs ready \(Classic, on_failure: block\)", caplog_info)
        bot.process()
        orders = bybit_sim_server.sim.requests(path=Endpoint.ORDER_CREATE)
        assert orders
        assert {e.body["side"] for e in orders} == {"Buy"}
        for e in orders:
            state = bybit_sim_server.sim.symbol_state(e.symbol)
            assert state["trade_mode"] == 1
            assert float(state["leverage"]) == float(EXPECTED[e.symbol])
    finally:
        bot.cleanup()
