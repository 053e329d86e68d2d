"""
BybitMarginMixin inside a real FreqtradeBot, against the simulator over HTTP.

Both of freqtrade's ccxt clients (sync on requests, async on aiohttp) point at a
``ThreadedSimulatorServer``; every assertion about the exchange reads the simulator's journal
or state, never a mock.
"""

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.strategy.strategy_wrapper import strategy_safe_wrapper

from freqtrade_bybit_margin import strategy as bbm_strategy
from freqtrade_bybit_margin.config import MarginSettings
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from freqtrade_bybit_margin.strategy import BybitMarginMixin
from tests.conftest import TESTS, log_has_re, sim_exchange_config


PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT"]
SECTION = {"leverage": 3, "pair_leverage": {"BTC/USDT:USDT": 5, "ETH/.*": 4}}
EXPECTED = {"BTCUSDT": "5", "ETHUSDT": "4", "SOLUSDT": "3", "XRPUSDT": "3"}

BotFactory = Callable[..., FreqtradeBot]


def bot_config(url: str, tmp_path: Any, *, live: bool = True, **extra: Any) -> dict[str, Any]:
    """A complete freqtrade config for the simulator (what ``Configuration`` would produce)."""
    keys = {"key": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET} if live else {}
    config: dict[str, Any] = {
        "runmode": RunMode.LIVE if live else RunMode.DRY_RUN,
        "dry_run": not live,
        "dry_run_wallet": 1000,
        "strategy": "MarginTestStrategy",
        "strategy_path": str(TESTS / "strategies"),
        "trading_mode": "futures",
        "margin_mode": "isolated",
        "stake_currency": "USDT",
        "stake_amount": 20,
        "tradable_balance_ratio": 0.99,
        "max_open_trades": 4,
        "timeframe": "1m",
        "unfilledtimeout": {"entry": 10, "exit": 10, "unit": "minutes"},
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exchange": {**sim_exchange_config(url, **keys), "pair_whitelist": list(PAIRS)},
        "pairlists": [{"method": "StaticPairList"}],
        "bybit_margin": dict(SECTION),
        "datadir": tmp_path / "data",
        "user_data_dir": tmp_path,
        "db_url": "sqlite://",
        "internals": {},
        "telegram": {"enabled": False, "token": "", "chat_id": ""},
        "original_config": {},
    }
    # ccxt's client-side throttle only slows the tests down (~0.1 s a request); the service
    # paces its own writes whatever ccxt does.
    config["exchange"]["ccxt_config"]["enableRateLimit"] = False
    config.update(extra)
    return config


@pytest.fixture
def make_bot(tmp_path: Any) -> Iterator[Callable[..., FreqtradeBot]]:
    """Build FreqtradeBots against a simulator server; all are cleaned up afterwards."""
    bots: list[FreqtradeBot] = []

    def make(server: ThreadedSimulatorServer, **kwargs: Any) -> FreqtradeBot:
        bot = FreqtradeBot(bot_config(server.url, tmp_path, **kwargs))
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.cleanup()


@pytest.fixture
def uta2_server() -> Iterator[ThreadedSimulatorServer]:
    with ThreadedSimulatorServer(BybitSimulator(account_type="uta2")) as server:
        yield server


def writes(sim: BybitSimulator, path: str) -> list[Any]:
    return [e for e in sim.requests(path=path, method="POST") if e.ret_code is not None]


def entry(bot: FreqtradeBot, pair: str) -> bool:
    return bool(bot.execute_entry(pair, 20))


def confirm(bot: FreqtradeBot, pair: str) -> bool:
    """``confirm_trade_entry`` called the way freqtrade calls it (exceptions mean "allow")."""
    return bool(
        strategy_safe_wrapper(bot.strategy.confirm_trade_entry, default_retval=True)(
            pair=pair,
            order_type="limit",
            amount=1.0,
            rate=100.0,
            time_in_force="GTC",
            current_time=datetime.now(UTC),
            entry_tag=None,
            side="long",
        )
    )


def leverage(bot: FreqtradeBot, pair: str, max_leverage: float) -> float:
    """``leverage`` called the way freqtrade calls it (exceptions mean 1.0)."""
    return float(
        strategy_safe_wrapper(bot.strategy.leverage, default_retval=1.0)(
            pair=pair,
            current_time=datetime.now(UTC),
            current_rate=100.0,
            proposed_leverage=1.0,
            max_leverage=max_leverage,
            entry_tag=None,
            side="long",
        )
    )


# -- live: preparation at startup ---------------------------------------------------------------


def test_classic_prepares_every_pair_in_bot_start(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = bybit_sim_server.sim
    make_bot(bybit_sim_server)

    switched = writes(sim, Endpoint.SWITCH_ISOLATED)
    assert {e.symbol: e.body["buyLeverage"] for e in switched} == EXPECTED
    assert all(e.body["tradeMode"] == 1 for e in switched)
    for symbol, leverage in EXPECTED.items():
        state = sim.symbol_state(symbol)
        assert state["trade_mode"] == 1
        assert float(state["leverage"]) == float(leverage)
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


def test_restart_changes_nothing(
    bybit_sim_server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    make_bot(bybit_sim_server).cleanup()
    caplog_info.clear()
    make_bot(bybit_sim_server)
    assert log_has_re(r"XRP/USDT:USDT\s+switch-isolated\s+isolated\s+3x\s+unchanged", caplog_info)


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
    # ours, before the order; then freqtrade's own per-order call, now a "not modified" no-op
    assert [e.ret_code for e in switch] == [0, 110026]
    assert switch[0].seq < order[0].seq
    assert sim.symbol_state("DOGEUSDT")["trade_mode"] == 1


def test_retryable_failure_is_retried_after_the_interval(
    bybit_sim_server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = bybit_sim_server.sim
    sim.refuse(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT", ret_code=10006)  # rate limit
    bot = make_bot(bybit_sim_server)
    result = bot.strategy.bybit_margin_result("SOL/USDT:USDT")
    assert result is not None
    assert result.retryable
    tries = len(sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT"))

    assert entry(bot, "SOL/USDT:USDT") is False  # too early: no new request
    assert len(sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT")) == tries

    sim.clear_faults()
    later = time.time() + BybitMarginMixin.bybit_margin_retry_seconds + 1
    monkeypatch.setattr(bbm_strategy, "time", SimpleNamespace(time=lambda: later))
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
    service = bot.strategy._bbm_st.service

    def boom(target: Any) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "is_confirmed", boom)
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
         "'margin_mode', 'leverage', 'pair_leverage', 'on_failure'. Did you mean 'leverage'?"),
        ({"margin_mode": "cross"}, "bybit_margin.margin_mode: 'cross' differs from freqtrade's "
         "margin_mode 'isolated'"),
        ({"leverage": 3, "pair_leverage": {"BTC/.*": 500}}, "bybit_margin: leverage 500 for "
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
