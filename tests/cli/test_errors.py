"""Failures: one line on stderr, no secret, the right exit code; with ``--json`` also an error
document on stdout."""

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET

from .helpers import Server, run, write_config, writes


def error_of(out: str, code: int) -> dict[str, Any]:
    """The error document on stdout, checked against the exit code."""
    doc = json.loads(out)
    assert set(doc) == {"schema_version", "command", "error", "exit_code"}
    assert doc["exit_code"] == code
    assert set(doc["error"]) == {"type", "message", "exception"}
    error: dict[str, Any] = doc["error"]
    return error


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


def test_missing_config_file_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-c", str(tmp_path / "nope.json"), "--json"]) == 2

    captured = capsys.readouterr()
    error = error_of(captured.out, 2)
    assert error["type"] == "config"
    assert error["exception"] == "ConfigError"
    assert "nope.json" in error["message"]
    assert error["message"] == captured.err.strip()


def test_no_default_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan"]) == 2
    assert "-c" in capsys.readouterr().err


def test_usage_error_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--json", "--no-such-option"]) == 2

    captured = capsys.readouterr()
    error = error_of(captured.out, 2)
    assert json.loads(captured.out)["command"] == "plan"
    assert error["type"] == "usage"
    assert "--no-such-option" in error["message"]
    assert "usage:" in captured.err


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

    as_json = command == "plan"
    assert run(files, command, "--json" if as_json else "--yes") == 3

    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert code in lines[0]
    assert "exchange.key" in lines[0]
    assert "Traceback" not in captured.err
    assert secret not in captured.err
    if as_json:  # the error document, and nothing else, on stdout
        error = error_of(captured.out, 3)
        assert error["type"] == "authentication"
        assert error["exception"] == "AuthenticationError"
        assert error["message"] == lines[0]
        assert secret not in captured.out
    else:
        assert captured.out == ""
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

    assert run(files, "status", "--json") == 3
    captured = capsys.readouterr()
    assert error_of(captured.out, 3)["type"] == "network"


def test_runtime_problem_stops_every_command_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    line = "freqtrade 2020.1 found; freqtrade-bybit-margin needs freqtrade >= 2025.1"
    monkeypatch.setattr("freqtrade_bybit_margin.cli.app.runtime_problem", lambda: line)

    assert main(["status", "-c", str(tmp_path / "never-read.json"), "--json"]) == 2

    captured = capsys.readouterr()
    assert captured.err.strip() == line
    error = error_of(captured.out, 2)
    assert (error["type"], error["message"]) == ("runtime", line)


def test_a_bad_environment_variable_is_named_as_the_source(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)
    monkeypatch.setenv("FREQTRADE__BYBIT_MARGIN__LEVERAGE", "abc")

    assert run(files, "plan") == 2

    err = capsys.readouterr().err
    assert (
        "bybit_margin.leverage: 'abc' (in the environment variable "
        "FREQTRADE__BYBIT_MARGIN__LEVERAGE) is not allowed; allowed: a number." in err
    )
    assert server.sim.journal == []


@pytest.mark.parametrize(
    ("key", "hint"),
    [("eth/.*", "ETH/.*"), ("SOLL/USDT:USDT", "SOL/USDT:USDT"), ("ETHUSD", "ETH/USD:ETH")],
)
def test_a_near_miss_of_a_market_is_refused_before_any_private_request(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, hint: str
) -> None:
    server = sim_server("classic")
    extra = {"bybit_margin": {"pair_leverage": {key: 4}}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "plan") == 2

    assert f"key {key!r} matches no pair; did you mean {hint!r}?" in capsys.readouterr().err
    assert [entry for entry in server.sim.journal if entry.path.startswith("/v5/position")] == []
