"""``freqtrade-bybit-margin simulator``: serve, write the overlay, answer ``plan``, stop."""

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.cli import simulator
from freqtrade_bybit_margin.cli.app import build_parser, main
from freqtrade_bybit_margin.simulator import DEFAULT_API_SECRET

from .helpers import REPO_CONFIG, USERDIR, no_throttle_layer


#: The README's seed document for its Classic example (BTC already right, XRP with a position).
README_SEED = {
    "symbols": {"BTCUSDT": {"trade_mode": 1, "leverage": "5"}},
    "positions": [{"symbol": "XRPUSDT", "side": "Sell", "size": "100"}],
}


def wait_for(path: Path, timeout: float = 20.0) -> dict[str, object]:
    """The overlay, once the command has written it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().endswith("}\n"):
            loaded: dict[str, object] = json.loads(path.read_text())
            return loaded
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def plan_against(overlay: Path, tmp_path: Path) -> None:
    """``plan --json`` with the sample config layered with ``overlay``."""
    files = [str(REPO_CONFIG), str(overlay), no_throttle_layer(tmp_path)]
    argv = ["plan", *(arg for name in files for arg in ("-c", name))]
    assert main([*argv, "--userdir", str(USERDIR), "--json"]) == 0


def test_simulator_serves_plan_until_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = tmp_path / "sim.json"
    args = build_parser().parse_args(
        [
            "simulator",
            "--account",
            "uta2",
            "--account-margin-mode",
            "PORTFOLIO_MARGIN",
            "--rate-limits",
            "off",
            "--overlay",
            str(overlay),
        ]
    )
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(simulator.serve(args, stop)))
    thread.start()
    try:
        written = wait_for(overlay)
        exchange = written["exchange"]
        assert isinstance(exchange, dict)
        assert exchange["enable_ws"] is False
        assert exchange["demo_trading"] is False
        url = exchange["ccxt_config"]["urls"]["api"]["private"]
        assert url.startswith("http://127.0.0.1:")
        assert written["dry_run"] is False
        assert str(tmp_path) in str(written["db_url"])  # never the bot's own database

        plan_against(overlay, tmp_path)
        doc = json.loads(capsys.readouterr().out.split("Ctrl-C stops it.\n", 1)[1])
        assert doc["account_type"] == "uta2"
        assert doc["account_margin_mode"] == "PORTFOLIO_MARGIN"
        assert doc["endpoint"] == url
    finally:
        stop.set()
        thread.join(10)
    assert codes == [0]
    out = capsys.readouterr().out
    assert "Simulator stopped after" in out
    assert DEFAULT_API_SECRET not in out
    with pytest.raises(ConnectionRefusedError):  # the port is released
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1)


def test_simulator_refuses_a_busy_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        code = main(["simulator", "--port", str(port), "--overlay", str(tmp_path / "sim.json")])

    assert code == 2
    err = capsys.readouterr().err
    assert f"--port {port}: cannot listen on 127.0.0.1:{port}" in err
    assert not (tmp_path / "sim.json").exists()


@pytest.mark.e2e
def test_simulator_command_stops_on_ctrl_c(tmp_path: Path) -> None:
    overlay = tmp_path / "sim.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "freqtrade_bybit_margin",
            "simulator",
            "--account",
            "classic",
            "--overlay",
            str(overlay),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(overlay)
        plan_against(overlay, tmp_path)
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0, out
    assert "listening on http://127.0.0.1:" in out
    assert "Simulator stopped after" in out
    assert "Traceback" not in out


def serving(argv: list[str]) -> tuple[threading.Thread, threading.Event, list[int]]:
    """``simulator`` with ``argv`` serving in a thread until the event is set."""
    args = build_parser().parse_args(["simulator", *argv])
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(simulator.serve(args, stop)))
    thread.start()
    return thread, stop, codes


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # the simulator, on 127.0.0.1
        loaded: dict[str, Any] = json.loads(answer.read())
        return loaded


def test_seed_file_starts_the_simulator_in_that_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(README_SEED))
    overlays = [tmp_path / "one.json", tmp_path / "two.json"]
    runs = [serving(["--account", "classic", "--seed", str(seed), "--overlay", str(overlay)])
            for overlay in overlays]  # fmt: skip
    try:
        first, second = (wait_for(overlay) for overlay in overlays)
        url = first["exchange"]["ccxt_config"]["urls"]["api"]["private"]  # type: ignore[index]
        state = get(f"{url}/_sim/state")
        assert state["symbols"]["BTCUSDT"]["trade_mode"] == 1
        assert state["symbols"]["BTCUSDT"]["leverage"] == "5"
        assert state["symbols"]["XRPUSDT"]["position_size"] == "100"
        # every run its own trade database: a restarted simulator inherits no trades
        assert first["db_url"] != second["db_url"]
        assert str(tmp_path) in str(first["db_url"])
    finally:
        for thread, stop, _ in runs:
            stop.set()
            thread.join(10)
    out = capsys.readouterr().out
    assert f"Seeded from {seed}: set_symbol x1, open_position x1" in out
    assert "/_sim/state" in out


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not valid JSON"),
        ('{"symbols": {"NOPEUSDT": {"leverage": "5"}}}', "seed field symbols.NOPEUSDT"),
        ('{"positions": [{"symbol": "XRPUSDT", "side": "Long", "size": "1"}]}', "side"),
        ('{"wallets": {}}', "seed field (document).wallets"),
    ],
)
def test_a_bad_seed_file_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, said: str
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    overlay = tmp_path / "sim.json"

    assert main(["simulator", "--seed", str(seed), "--overlay", str(overlay)]) == 2

    err = capsys.readouterr().err
    assert f"--seed {seed}: " in err
    assert said in err
    assert not overlay.exists()


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--latency-ms", "-5", "milliseconds from 0 to 60000"),
        ("--latency-ms", "nan", "milliseconds from 0 to 60000"),
        ("--extra-symbols", "-3", "a whole number from 0 to 2000"),
        ("--port", "-1", "a port number from 0 to 65535"),
        ("--port", "70000", "a port number from 0 to 65535"),
    ],
)
def test_negative_and_absurd_numbers_are_refused_not_clamped(
    capsys: pytest.CaptureFixture[str], option: str, value: str, allowed: str
) -> None:
    assert main(["simulator", option, value]) == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {value!r} is not allowed; allowed: {allowed}" in err
