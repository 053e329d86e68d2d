"""The ``freqtrade-bybit-margin`` CLI against the simulator's loopback HTTP server."""

import io
import json
import runpy
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin import __version__
from freqtrade_bybit_margin.cli import app as cli_module
from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.cli.freqtrade_config import select_pairs
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.conftest import sim_exchange_config


REPO = Path(__file__).resolve().parent.parent
USERDIR = REPO / "user_data"
REPO_CONFIG = USERDIR / "config.json"
PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT"]
TARGETS = {"BTC/USDT:USDT": 5.0, "ETH/USDT:USDT": 4.0, "SOL/USDT:USDT": 3.0, "XRP/USDT:USDT": 3.0}
WRITE_PATHS = (
    "/v5/position/switch-isolated",
    "/v5/position/set-leverage",
    "/v5/account/set-margin-mode",
)

MINIMAL_CONFIG: dict[str, Any] = {
    "trading_mode": "futures",
    "margin_mode": "isolated",
    "stake_currency": "USDT",
    "exchange": {"name": "bybit", "pair_whitelist": PAIRS},
    "pairlists": [{"method": "StaticPairList"}],
    "bybit_margin": {
        "leverage": 3,
        "pair_leverage": {"BTC/USDT:USDT": 5, "ETH/.*": 4},
    },
}


Server = Callable[..., Any]


@pytest.fixture
def sim_server() -> Iterator[Server]:
    """Start a simulator server for an account type; stopped at the end of the test."""
    servers: list[Any] = []

    def start(account_type: Any = "classic", **kwargs: Any) -> Any:
        server = ThreadedSimulatorServer(BybitSimulator(account_type, **kwargs))
        server.__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def write_config(
    tmp_path: Path,
    url: str,
    *,
    key: str = DEFAULT_API_KEY,
    secret: str = DEFAULT_API_SECRET,
    extra: dict[str, Any] | None = None,
) -> list[str]:
    """The repo's config (or a minimal one) layered with the server, keys and ``extra``."""
    base = REPO_CONFIG if REPO_CONFIG.is_file() else tmp_path / "base.json"
    if base != REPO_CONFIG:
        base.write_text(json.dumps(MINIMAL_CONFIG))
    overlay: dict[str, Any] = {
        "dry_run": False,
        "exchange": sim_exchange_config(url, key=key, secret=secret),
    }
    overlay["exchange"]["pair_whitelist"] = PAIRS
    # Pacing is the service's job; ccxt's own throttle only slows the tests down.
    overlay["exchange"]["ccxt_config"]["enableRateLimit"] = False
    layer = tmp_path / "sim.json"
    layer.write_text(json.dumps(overlay))
    files = [str(base), str(layer)]
    if extra is not None:
        more = tmp_path / "extra.json"
        more.write_text(json.dumps(extra))
        files.append(str(more))
    return files


def run(files: list[str], *args: str) -> int:
    argv = [args[0]]
    for name in files:
        argv += ["-c", name]
    return main([*argv, "--userdir", str(USERDIR), *args[1:]])


def writes(sim: Any) -> list[Any]:
    return [entry for entry in sim.journal if entry.method == "POST"]


# --- basics ------------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_help_documents_exit_codes_and_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("plan", "apply", "status", "demo", "exit codes", "FREQTRADE__EXCHANGE__KEY"):
        assert word in out
    assert main([]) == 2
    assert main(["plan", "--no-such-option"]) == 2


# --- plan --------------------------------------------------------------------------------------


def test_plan_classic_is_read_only(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    server.sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan") == 0

    out = capsys.readouterr().out
    assert "Classic" in out
    assert "switch-isolated" in out
    for pair in PAIRS:
        assert pair in out
    btc = next(line for line in out.splitlines() if "BTC/USDT:USDT" in line)
    assert "none" in btc
    sol = next(line for line in out.splitlines() if "SOL/USDT:USDT" in line)
    assert "switch" in sol
    assert writes(server.sim) == []


def test_plan_json_schema_uta2(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("uta2")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan", "--json") == 0

    out = capsys.readouterr().out
    assert DEFAULT_API_SECRET not in out
    assert DEFAULT_API_KEY not in out
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["command"] == "plan"
    assert doc["account_type"] == "uta2"
    assert doc["account_margin_mode"] == "REGULAR_MARGIN"
    assert isinstance(doc["notes"], list)
    assert [row["pair"] for row in doc["pairs"]] == PAIRS
    for row in doc["pairs"]:
        assert set(row) == {
            "pair",
            "mechanism",
            "current_margin_mode",
            "current_leverage",
            "target_margin_mode",
            "target_leverage",
            "action",
            "reason",
            "open_position",
            "open_orders",
        }
        assert row["mechanism"] == "account-mode+set-leverage"
        assert row["current_margin_mode"] == "cross"
        assert row["target_margin_mode"] == "isolated"
        assert row["target_leverage"] == TARGETS[row["pair"]]
        assert row["action"] == "switch"
    assert doc["summary"] == {"none": 0, "switch": 4, "blocked": 0}
    assert writes(server.sim) == []


def test_plan_pairs_option_restricts(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    code = run(files, "plan", "--json", "--pairs", "BTC/USDT:USDT,ETH/USDT:USDT", "-p", "XRP/.*")

    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert [row["pair"] for row in doc["pairs"]] == [
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "XRP/USDT:USDT",
    ]


def test_plan_dynamic_pairlist_says_which_pairs(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    extra = {"pairlists": [{"method": "VolumePairList", "number_assets": 10}]}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "plan") == 0

    out = capsys.readouterr().out
    assert "VolumePairList is dynamic" in out
    assert "exchange.pair_whitelist" in out


# --- status ------------------------------------------------------------------------------------


def test_status_classic_shows_positions_and_orders(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    server.sim.open_position("ETHUSDT", side="Buy", size="0.5")
    server.sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="100")
    files = write_config(tmp_path, server.url)

    assert run(files, "status") == 0
    out = capsys.readouterr().out
    assert "Classic" in out
    assert "Buy 0.5" in out

    assert run(files, "status", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "status"
    assert doc["account_type"] == "classic"
    assert doc["account_margin_mode"] is None
    rows = {row["pair"]: row for row in doc["pairs"]}
    assert rows["ETH/USDT:USDT"]["open_position"] is True
    assert rows["ETH/USDT:USDT"]["position_side"] == "Buy"
    assert rows["SOL/USDT:USDT"]["open_orders"] == 1
    assert rows["BTC/USDT:USDT"]["open_position"] is False
    assert set(doc["busy_symbols"]) == {"ETHUSDT", "SOLUSDT"}
    assert writes(server.sim) == []


def test_status_uta2(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("uta2", account_margin_mode="ISOLATED_MARGIN")
    files = write_config(tmp_path, server.url)

    assert run(files, "status", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert doc["account_type"] == "uta2"
    assert doc["account_margin_mode"] == "ISOLATED_MARGIN"
    assert {row["margin_mode"] for row in doc["pairs"]} == {"isolated"}
    assert writes(server.sim) == []


# --- apply -------------------------------------------------------------------------------------


def test_apply_classic(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes") == 0

    out = capsys.readouterr().out
    assert "4/4 pairs confirmed" in out
    switched = server.sim.requests(path="/v5/position/switch-isolated", method="POST")
    assert {entry.symbol for entry in switched} == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}
    for entry in switched:
        assert entry.body["tradeMode"] == 1
    assert server.sim.requests(path="/v5/account/set-margin-mode") == []
    assert server.sim.symbol_state("BTCUSDT")["leverage"] == "5"
    assert server.sim.symbol_state("ETHUSDT")["leverage"] == "4"

    # A second run finds everything in place and sends nothing.
    before = len(writes(server.sim))
    assert run(files, "apply", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    assert {row["outcome"] for row in doc["pairs"]} == {"unchanged"}
    assert len(writes(server.sim)) == before


def test_apply_uta2(sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = sim_server("uta2")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "apply"
    assert doc["account_type"] == "uta2"
    assert doc["ok"] is True
    for row in doc["pairs"]:
        assert set(row) == {
            "pair",
            "mechanism",
            "margin_mode",
            "leverage",
            "outcome",
            "confirmed",
            "reason",
            "error",
            "retryable",
            "requests",
        }
        assert row["mechanism"] == "account-mode+set-leverage"
        assert row["confirmed"] is True
        assert row["leverage"] == TARGETS[row["pair"]]
    assert len(server.sim.requests(path="/v5/account/set-margin-mode", method="POST")) == 1
    assert len(server.sim.requests(path="/v5/position/set-leverage", method="POST")) == 4
    assert server.sim.requests(path="/v5/position/switch-isolated") == []
    assert server.sim.account_margin_mode == "ISOLATED_MARGIN"


def test_apply_mixed_results(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    server.sim.refuse(path="/v5/position/switch-isolated", symbol="SOLUSDT", ret_code=10005)
    server.sim.open_position("XRPUSDT", side="Sell", size="10")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes") == 1

    out = capsys.readouterr().out
    sol = next(line for line in out.splitlines() if "SOL/USDT:USDT" in line and "failed" in line)
    assert "10005" in sol
    xrp = next(line for line in out.splitlines() if "XRP/USDT:USDT" in line and "skipped" in line)
    assert "open position" in xrp
    assert "2/4 pairs confirmed" in out

    assert run(files, "apply", "--yes", "--json") == 1
    doc = json.loads(capsys.readouterr().out)
    rows = {row["pair"]: row for row in doc["pairs"]}
    assert doc["ok"] is False
    assert rows["SOL/USDT:USDT"]["outcome"] == "failed"
    assert rows["SOL/USDT:USDT"]["error"] == "PermissionDenied"
    assert rows["XRP/USDT:USDT"]["outcome"] == "skipped"
    assert rows["BTC/USDT:USDT"]["confirmed"] is True


def test_apply_long_whitelist_shows_progress(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sim_server("classic", extra_linear_symbols=6)
    monkeypatch.setattr(cli_module, "BATCH_SIZE", 4)
    extra = {"exchange": {"pair_whitelist": ["S00[1-6]/USDT:USDT", *PAIRS]}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "apply", "--yes") == 0

    captured = capsys.readouterr()
    assert "prepared 4/10 pairs" in captured.err
    assert "prepared 10/10 pairs" in captured.err
    assert "10/10 pairs confirmed" in captured.out


def test_apply_without_terminal_needs_yes(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply") == 2

    assert "--yes" in capsys.readouterr().err
    assert writes(server.sim) == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "sent"), [("n\n", 1, False), ("y\n", 0, True)])
def test_apply_asks_on_a_terminal(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    sent: bool,
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)
    monkeypatch.setattr("sys.stdin", _Terminal(answer))

    assert run(files, "apply") == code

    assert "[y/N]" in capsys.readouterr().err
    assert bool(writes(server.sim)) is sent


# --- errors ------------------------------------------------------------------------------------


def test_invalid_json_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"exchange": {"name": "bybit"} "trading_mode": "futures"}')

    assert main(["plan", "-c", str(broken)]) == 2

    err = capsys.readouterr().err
    assert str(broken) in err
    assert "Traceback" not in err


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-c", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err


def test_no_default_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan"]) == 2
    assert "-c" in capsys.readouterr().err


def test_bad_bybit_margin_value(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url, extra={"bybit_margin": {"on_failure": "explode"}})

    assert run(files, "plan") == 2

    err = capsys.readouterr().err
    assert "bybit_margin.on_failure" in err
    assert "explode" in err
    assert "'block'" in err
    assert server.sim.journal == []


def test_leverage_out_of_range(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    extra = {"bybit_margin": {"pair_leverage": {"SOL/USDT:USDT": 75}}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "plan") == 2

    err = capsys.readouterr().err
    assert "SOL/USDT:USDT" in err
    assert "75" in err
    assert writes(server.sim) == []


def test_missing_keys(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url, key="", secret="")

    assert run(files, "status") == 2

    err = capsys.readouterr().err
    assert "exchange.key" in err
    assert "config-private.json" in err
    assert "FREQTRADE__EXCHANGE__KEY" in err
    assert server.sim.journal == []


def test_keys_from_environment(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url, key="", secret="")
    monkeypatch.setenv("FREQTRADE__EXCHANGE__KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("FREQTRADE__EXCHANGE__SECRET", DEFAULT_API_SECRET)

    assert run(files, "status", "--json") == 0

    captured = capsys.readouterr()
    assert json.loads(captured.out)["account_type"] == "classic"
    assert DEFAULT_API_SECRET not in captured.out + captured.err


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        (DEFAULT_API_KEY, "wrong-secret-0123456789abcdef", "10004"),
        ("unknown-key-000000", "another-secret-0123456789", "10003"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_wrong_keys(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: str,
    secret: str,
    code: str,
    command: str,
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url, key=key, secret=secret)

    assert run(files, command, "--yes" if command == "apply" else "--json") == 3

    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert code in lines[0]
    assert "exchange.key" in lines[0]
    assert "Traceback" not in captured.err
    assert secret not in captured.err
    assert writes(server.sim) == []


def test_network_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    files = write_config(tmp_path, f"http://127.0.0.1:{port}")

    assert run(files, "status") == 3

    err = capsys.readouterr().err
    assert err.startswith("Network error")
    assert len(err.strip().splitlines()) == 1
    assert DEFAULT_API_SECRET not in err


def test_demo_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--help"]) == 0
    assert "demo" in capsys.readouterr().out


def test_apply_progress_on_a_terminal(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sim_server("uta2", extra_linear_symbols=6)
    monkeypatch.setattr(cli_module, "BATCH_SIZE", 4)
    monkeypatch.setattr("sys.stderr", _Terminal())
    extra = {"exchange": {"pair_whitelist": ["S00[1-6]/USDT:USDT", *PAIRS]}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "apply", "--yes", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert len(doc["pairs"]) == 10
    assert doc["summary"]["changed"] == 10
    # The account-wide mode is set once, whatever the number of batches.
    assert len(server.sim.requests(path="/v5/account/set-margin-mode", method="POST")) == 1


# --- pair selection (no server) ----------------------------------------------------------------


def _market(linear: bool = True, contract: bool = True) -> dict[str, Any]:
    return {"contract": contract, "linear": linear and contract, "inverse": False}


MARKETS = {
    "BTC/USDT:USDT": _market(),
    "ETH/USDT:USDT": _market(),
    "SOL/USDT:USDT": _market(),
    "BTC/USDT": _market(contract=False),
}


def test_select_pairs_static_with_regex_blacklist_and_unknown() -> None:
    config = {
        "exchange": {
            "pair_whitelist": [".*/USDT:USDT", "NOPE/USDT:USDT"],
            "pair_blacklist": ["SOL/.*"],
        },
        "pairlists": [{"method": "StaticPairList"}],
    }
    selection = select_pairs(config, MARKETS)
    assert selection.pairs == ["BTC/USDT:USDT", "ETH/USDT:USDT"]
    assert any("blacklisted" in note and "SOL/USDT:USDT" in note for note in selection.notes)
    assert any("NOPE/USDT:USDT" in note for note in selection.notes)


def test_select_pairs_requested_and_errors() -> None:
    config = {"exchange": {"pair_whitelist": ["BTC/USDT:USDT"]}}
    selection = select_pairs(config, MARKETS, ["ETH/USDT:USDT", "BTC/USDT"])
    assert selection.pairs == ["ETH/USDT:USDT"]
    assert any("not a futures market" in note for note in selection.notes)
    assert any("not in the config's whitelist" in note for note in selection.notes)
    with pytest.raises(ConfigError, match="--pairs"):
        select_pairs(config, MARKETS, ["DOGE/USDT:USDT"])
    dynamic = {"exchange": {"pair_whitelist": []}, "pairlists": [{"method": "VolumePairList"}]}
    with pytest.raises(ConfigError, match="VolumePairList is dynamic"):
        select_pairs(dynamic, MARKETS)


def test_python_dash_m(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["freqtrade-bybit-margin", "--version"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("freqtrade_bybit_margin", run_name="__main__")
    assert stop.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_strategy_class_attribute_is_overridden_key_by_key(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The strategy's ``bybit_margin`` attribute gives defaults; the config section wins."""
    strategies = tmp_path / "userdir" / "strategies"
    strategies.mkdir(parents=True)
    (strategies / "AttrStrategy.py").write_text(
        "from freqtrade.strategy import IStrategy\n"
        "from freqtrade_bybit_margin import BybitMarginMixin\n\n"
        "class AttrStrategy(BybitMarginMixin, IStrategy):\n"
        "    timeframe = '5m'\n"
        "    bybit_margin = {'leverage': 7, 'pair_leverage': {'SOL/USDT:USDT': 2}}\n"
        "    def populate_indicators(self, df, metadata): return df\n"
        "    def populate_entry_trend(self, df, metadata): return df\n"
        "    def populate_exit_trend(self, df, metadata): return df\n"
    )
    server = sim_server("classic")
    config = {**MINIMAL_CONFIG, "strategy": "AttrStrategy", "bybit_margin": {"leverage": 6}}
    base = tmp_path / "attr.json"
    base.write_text(json.dumps(config))
    files = [str(base), write_config(tmp_path, server.url)[1]]

    code = main(
        ["plan", "-c", files[0], "-c", files[1], "--userdir", str(tmp_path / "userdir"), "--json"]
    )

    assert code == 0
    targets = {
        row["pair"]: row["target_leverage"] for row in json.loads(capsys.readouterr().out)["pairs"]
    }
    assert targets == {
        "BTC/USDT:USDT": 6.0,
        "ETH/USDT:USDT": 6.0,
        "SOL/USDT:USDT": 2.0,
        "XRP/USDT:USDT": 6.0,
    }
