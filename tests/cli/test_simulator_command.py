"""``freqtrade-bybit-margin simulator``: serve, write the overlay, answer ``plan``, stop."""

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from freqtrade_bybit_margin.cli import simulator
from freqtrade_bybit_margin.cli.app import build_parser, main
from freqtrade_bybit_margin.simulator import DEFAULT_API_SECRET

from .helpers import REPO_CONFIG, USERDIR, no_throttle_layer


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
