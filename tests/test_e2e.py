"""
End to end: a real ``freqtrade trade`` process, LIVE with fake keys, against the simulator.

Every assertion reads the simulator's journal or state: what reached "Bybit", in which order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.cli import main
from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.demo.bot_runner import REPO_USER_DATA, BotRun, plugin_writes, run_bot
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)


pytestmark = pytest.mark.e2e

PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT"]
SYMBOLS = {pair: pair.split("/")[0] + "USDT" for pair in PAIRS}
# user_data/config.json: leverage 3, BTC/USDT:USDT 5, ETH/.* 4
TARGETS = {"BTCUSDT": "5", "ETHUSDT": "4", "SOLUSDT": "3", "XRPUSDT": "3"}
MARGIN_WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE)
SHUTDOWN_MARKER = "worker found ... calling exit"

Runner = Callable[..., BotRun]


def positioned(symbols: list[str]) -> Callable[[BybitSimulator], bool]:
    return lambda sim: all(float(sim.symbol_state(s)["position_size"]) > 0 for s in symbols)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Runner]:
    """Run the bot against ``sim`` until ``until`` (or 60 s); the server stops afterwards."""
    servers: list[ThreadedSimulatorServer] = []

    def start(sim: BybitSimulator, until: Callable[[BybitSimulator], bool]) -> BotRun:
        server = ThreadedSimulatorServer(sim)
        server.__enter__()
        servers.append(server)
        return run_bot(
            sim,
            server.url,
            PAIRS,
            until=until,
            timeout=60,
            workdir=tmp_path / f"run{len(servers)}",
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
        )

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def first_order(run: BotRun, symbol: str) -> Any:
    orders = run.requests(Endpoint.ORDER_CREATE, symbol)
    return orders[0] if orders else None


def assert_clean(run: BotRun) -> None:
    """Every signed request verified, no secret in any log line, no error from the bot."""
    signed = [entry for entry in run.journal if entry.signed]
    assert signed
    assert [e for e in signed if e.signature_ok is not True] == []
    assert DEFAULT_API_SECRET not in run.log_text
    # Up to freqtrade's own shutdown: after SIGINT, asyncio may report ccxt's pending throttler
    # task ("Task was destroyed but it is pending!"), which is not the bot's doing.
    running = run.log_text.split(SHUTDOWN_MARKER, 1)[0]
    assert SHUTDOWN_MARKER in run.log_text
    assert "Traceback" not in running
    assert " - ERROR - " not in running


def test_classic_every_pair_switched_with_its_leverage_before_its_first_order(
    live: Runner,
) -> None:
    sim = BybitSimulator(account_type="classic")

    run = live(sim, positioned(list(TARGETS)))

    for symbol, leverage in TARGETS.items():
        writes = plugin_writes(run, symbol)
        order = first_order(run, symbol)
        assert order is not None, f"{symbol} was never traded"
        assert [e.path for e in writes] == [Endpoint.SWITCH_ISOLATED]
        assert writes[0].body["tradeMode"] == 1
        assert writes[0].body["buyLeverage"] == writes[0].body["sellLeverage"] == leverage
        assert writes[0].ret_code == RetCode.OK
        assert writes[0].seq < order.seq
        state = sim.symbol_state(symbol)
        assert state["trade_mode"] == 1
        assert float(state["position_size"]) > 0
        assert float(state["position_leverage"]) == float(leverage)
    assert_clean(run)


def test_uta2_account_mode_once_then_leverage_per_pair_and_no_switch_isolated(
    live: Runner,
) -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="REGULAR_MARGIN")

    run = live(sim, positioned(list(TARGETS)))

    plugin_account_sets = [
        e for e in run.requests(Endpoint.SET_MARGIN_MODE) if "leverage" not in (e.body or {})
    ]
    assert [(e.body, e.ret_code) for e in plugin_account_sets] == [
        ({"setMarginMode": "ISOLATED_MARGIN"}, RetCode.OK)
    ]
    first_any_order = min(e.seq for e in run.requests(Endpoint.ORDER_CREATE))
    assert plugin_account_sets[0].seq < first_any_order
    assert run.requests(Endpoint.SWITCH_ISOLATED) == []
    for symbol, leverage in TARGETS.items():
        [write] = plugin_writes(run, symbol)
        assert (write.path, write.body["buyLeverage"], write.ret_code) == (
            Endpoint.SET_LEVERAGE,
            leverage,
            RetCode.OK,
        )
        assert write.seq < first_order(run, symbol).seq
        assert float(sim.symbol_state(symbol)["position_leverage"]) == float(leverage)
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    assert_clean(run)


def test_refused_pair_is_never_traded_and_the_bot_trades_the_rest(live: Runner) -> None:
    sim = BybitSimulator(account_type="classic")
    sim.refuse(
        path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT", ret_code=RetCode.LEVERAGE_RISK_LIMIT
    )

    run = live(sim, positioned(["BTCUSDT", "ETHUSDT", "XRPUSDT"]))

    assert first_order(run, "SOLUSDT") is None
    assert float(sim.symbol_state("SOLUSDT")["position_size"]) == 0
    for symbol in ("BTCUSDT", "ETHUSDT", "XRPUSDT"):
        assert first_order(run, symbol) is not None
    assert "SOL/USDT:USDT" in run.log_text
    assert "110013" in run.log_text
    signed = [entry for entry in run.journal if entry.signed]
    assert all(e.signature_ok for e in signed)
    assert DEFAULT_API_SECRET not in run.log_text


def test_pair_with_open_position_at_startup_is_left_alone(live: Runner) -> None:
    sim = BybitSimulator(account_type="classic")
    sim.set_symbol("ETHUSDT", trade_mode=0, leverage="10")
    sim.open_position("ETHUSDT", side="Buy", size="0.1")

    run = live(sim, positioned(["BTCUSDT", "SOLUSDT", "XRPUSDT"]))

    assert [e for e in run.journal if e.path in MARGIN_WRITES and e.symbol == "ETHUSDT"] == []
    assert first_order(run, "ETHUSDT") is None
    state = sim.symbol_state("ETHUSDT")
    assert (state["trade_mode"], float(state["leverage"]), float(state["position_size"])) == (
        0,
        10.0,
        0.1,
    )
    assert "ETH/USDT:USDT" in run.log_text
    assert "open position" in run.log_text


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_restart_with_everything_right_trades_without_errors(live: Runner, account: str) -> None:
    sim = BybitSimulator(account_type=account, account_margin_mode="ISOLATED_MARGIN")
    for symbol, leverage in TARGETS.items():
        sim.set_symbol(symbol, trade_mode=1, leverage=leverage)

    run = live(sim, positioned(list(TARGETS)))

    not_modified = {RetCode.MARGIN_MODE_NOT_MODIFIED, RetCode.LEVERAGE_NOT_MODIFIED}
    first_any_order = min(e.seq for e in run.requests(Endpoint.ORDER_CREATE))
    for symbol in TARGETS:
        writes = plugin_writes(run, symbol)
        if account == "classic":  # switch-isolated 110026, then set-leverage 110043
            assert [(e.path, e.ret_code) for e in writes] == [
                (Endpoint.SWITCH_ISOLATED, RetCode.MARGIN_MODE_NOT_MODIFIED),
                (Endpoint.SET_LEVERAGE, RetCode.LEVERAGE_NOT_MODIFIED),
            ]
        else:  # one read of every leverage was enough: nothing to write
            assert writes == []
        assert {e.ret_code for e in plugin_writes(run, symbol)} <= not_modified
        assert first_order(run, symbol) is not None
    if account == "uta2":
        reads = run.requests(Endpoint.POSITION_SYMBOL_INFO)
        assert len(reads) == 1
        assert reads[0].seq < first_any_order
    plugin_account_sets = [
        e for e in run.requests(Endpoint.SET_MARGIN_MODE) if "leverage" not in (e.body or {})
    ]
    assert plugin_account_sets == []
    assert_clean(run)


def test_demo_command_exits_zero_and_prints_the_timeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["demo", "--account", "classic", "--pairs", "2", "--timeout", "60"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "BTC/USDT:USDT" in out
    assert "ETH/USDT:USDT" in out
    assert "every one prepared before its first order" in out


def test_sample_config_is_what_the_e2e_tests_assume() -> None:
    section = json.loads((REPO_USER_DATA / "config.json").read_text())["bybit_margin"]
    assert section["leverage"] == 3
    assert section["pair_leverage"] == {"BTC/USDT:USDT": 5, "ETH/.*": 4}
