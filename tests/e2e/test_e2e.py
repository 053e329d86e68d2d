"""
End to end: a real ``freqtrade trade`` process, LIVE with fake keys, against the simulator.

Every assertion reads the simulator's journal or state: what reached "Bybit", in which order.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.demo.bot_runner import (
    REPO_USER_DATA,
    BotRun,
    freqtrade_writes,
    plugin_writes,
    run_bot,
)
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.sim_clients import FUTURES_MARKETS


pytestmark = pytest.mark.e2e

PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT"]
SYMBOLS = {pair: pair.split("/")[0] + "USDT" for pair in PAIRS}
# user_data/config.json: leverage 3, BTC/USDT:USDT 5, ETH/.* 4
TARGETS = {"BTCUSDT": "5", "ETHUSDT": "4", "SOLUSDT": "3", "XRPUSDT": "3"}
MARGIN_WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE)
#: Requests about margin mode or leverage: the three writes and the plugin's reads.
MARGIN_REQUESTS = (
    *MARGIN_WRITES,
    Endpoint.SET_MARGIN_MODE,
    Endpoint.POSITION_SYMBOL_INFO,
)
TESTS = Path(__file__).resolve().parents[1]
SHUTDOWN_MARKER = "worker found ... calling exit"

Runner = Callable[..., BotRun]


def positioned(symbols: list[str]) -> Callable[[BybitSimulator], bool]:
    return lambda sim: all(float(sim.symbol_state(s)["position_size"]) > 0 for s in symbols)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Runner]:
    """Run the bot against ``sim`` until ``until`` (or 60 s); the server stops afterwards."""
    servers: list[ThreadedSimulatorServer] = []

    def start(
        sim: BybitSimulator, until: Callable[[BybitSimulator], bool], **kwargs: Any
    ) -> BotRun:
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
            market_types=FUTURES_MARKETS,
            **kwargs,
        )

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def first_order(run: BotRun, symbol: str) -> Any:
    orders = run.requests(Endpoint.ORDER_CREATE, symbol)
    return orders[0] if orders else None


def margin_requests_per_entry(run: BotRun) -> dict[str, list[int]]:
    """
    Per symbol, for each entry order: the margin requests between the entry's price read (the
    order book, which freqtrade reads before ``confirm_trade_entry``) and the order itself.
    """
    counts: dict[str, list[int]] = {}
    for order in run.requests(Endpoint.ORDER_CREATE):
        if (order.body or {}).get("reduceOnly"):
            continue
        books = [e for e in run.requests(Endpoint.ORDERBOOK, order.symbol) if e.seq < order.seq]
        start = books[-1].seq if books else 0
        window = [
            e
            for e in run.journal
            if start < e.seq < order.seq
            and e.path in MARGIN_REQUESTS
            and e.symbol in (order.symbol, None)
        ]
        counts.setdefault(order.symbol, []).append(len(window))
    return counts


def assert_zero_margin_requests_per_entry(run: BotRun) -> None:
    """Every entry on a pair prepared at startup: 0 margin requests before its order."""
    counts = margin_requests_per_entry(run)
    assert set(counts) == set(TARGETS)
    assert counts == {symbol: [0] * len(n) for symbol, n in counts.items()}
    assert all(freqtrade_writes(run, symbol) == [] for symbol in TARGETS)


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


@pytest.mark.compat
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
    assert_zero_margin_requests_per_entry(run)
    assert_clean(run)


@pytest.mark.compat
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
    for symbol in TARGETS:
        assert sim.symbol_state(symbol)["trade_mode"] == 1
    assert_zero_margin_requests_per_entry(run)
    assert_clean(run)


def test_refused_open_and_garbled_pairs_trade_only_once_truly_confirmed(
    live: Runner,
) -> None:
    """
    One run for four faults: SOL's switch is refused (110013); ETH has an open position at
    startup; BTC and XRP get garbled HTTP-200 answers (an HTML page, an empty body) three times:
    they trade only after a real "OK" from Bybit, and at their target (had a garbled answer
    counted as success, they would trade at the simulator's cross 10x).
    """
    sim = BybitSimulator(account_type="classic")
    sim.refuse(
        path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT", ret_code=RetCode.LEVERAGE_RISK_LIMIT
    )
    sim.inject_fault(kind="html", path=Endpoint.SWITCH_ISOLATED, symbol="BTCUSDT", times=3)
    sim.inject_fault(kind="empty", path=Endpoint.SWITCH_ISOLATED, symbol="XRPUSDT", times=3)
    sim.set_symbol("ETHUSDT", trade_mode=0, leverage="10")
    sim.open_position("ETHUSDT", side="Buy", size="0.1")

    run = live(sim, positioned(["BTCUSDT", "XRPUSDT"]))

    # the refused pair
    assert first_order(run, "SOLUSDT") is None
    assert float(sim.symbol_state("SOLUSDT")["position_size"]) == 0
    # the garbled pairs: no order before Bybit's first parsed "OK", then at their target
    for symbol in ("BTCUSDT", "XRPUSDT"):
        order = first_order(run, symbol)
        assert order is not None
        switches = run.requests(Endpoint.SWITCH_ISOLATED, symbol)
        assert len(switches) == 4  # three garbled answers, then Bybit's "OK"
        ok = [e for e in switches if e.ret_code == RetCode.OK]
        assert ok
        assert ok[0].seq < order.seq
        assert [e for e in switches if e.seq < ok[0].seq and e.ret_code == RetCode.OK] == []
        assert float(sim.symbol_state(symbol)["position_leverage"]) == float(TARGETS[symbol])
        assert sim.symbol_state(symbol)["trade_mode"] == 1
    assert "SOL/USDT:USDT" in run.log_text
    assert "110013" in run.log_text
    signed = [entry for entry in run.journal if entry.signed]
    assert all(e.signature_ok for e in signed)
    assert DEFAULT_API_SECRET not in run.log_text
    # the pair with an open position
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
        # read first, write only what differs: nothing (Classic: the pair's position/list row,
        # "returned regardless of having position or not"; UTA2.0: one symbol-info read)
        assert plugin_writes(run, symbol) == []
        assert {e.ret_code for e in plugin_writes(run, symbol)} <= not_modified
        assert first_order(run, symbol) is not None
        if account == "classic":
            reads = run.requests(Endpoint.POSITION_LIST, symbol)
            assert reads
            assert reads[0].seq < first_any_order
    assert_zero_margin_requests_per_entry(run)
    if account == "uta2":
        reads = run.requests(Endpoint.POSITION_SYMBOL_INFO)
        assert len(reads) == 1
        assert reads[0].seq < first_any_order
    plugin_account_sets = [
        e for e in run.requests(Endpoint.SET_MARGIN_MODE) if "leverage" not in (e.body or {})
    ]
    assert plugin_account_sets == []
    assert_clean(run)


def test_sample_config_is_what_the_e2e_tests_assume() -> None:
    section = json.loads((REPO_USER_DATA / "config.json").read_text())["bybit_margin"]
    assert section["leverage"] == 3
    assert section["pair_leverage"] == {"BTC/USDT:USDT": 5, "ETH/.*": 4}


def test_no_section_no_margin_write_by_the_plugin_and_one_warning(
    live: Runner, tmp_path: Path
) -> None:
    """No ``bybit_margin`` section and no class attribute: freqtrade's own behaviour."""
    user_data = tmp_path / "no_section"
    (user_data / "strategies").mkdir(parents=True)
    shutil.copy(TESTS / "strategies" / "margin_test_strategy.py", user_data / "strategies")
    config = json.loads((REPO_USER_DATA / "config.json").read_text())
    del config["bybit_margin"]
    config["strategy"] = "MarginTestStrategy"
    (user_data / "config.json").write_text(json.dumps(config))
    sim = BybitSimulator(account_type="classic")

    run = live(sim, positioned(["BTCUSDT", "ETHUSDT"]), user_data=user_data)

    # every margin request is freqtrade's own per-order call: inside an entry attempt (after
    # the pair's price read), none at startup, and none of the plugin's reads
    first_loop = min(e.seq for e in run.requests(Endpoint.KLINE))
    margin = [e for e in run.journal if e.path in MARGIN_REQUESTS]
    assert margin
    assert [e for e in margin if e.seq < first_loop] == []
    for write in margin:
        books = run.requests(Endpoint.ORDERBOOK, write.symbol)
        assert any(b.seq < write.seq for b in books), write
    assert run.requests(Endpoint.POSITION_SYMBOL_INFO) == []
    log = (run.workdir / "logs" / "freqtrade.log").read_text()
    assert "pairs ready" not in log
    assert " via switch-isolated" not in log
    warnings = [line for line in log.splitlines() if "no 'bybit_margin' section" in line]
    assert len(warnings) == 1
    assert " - WARNING - " in warnings[0]
    assert first_order(run, "BTCUSDT") is not None
