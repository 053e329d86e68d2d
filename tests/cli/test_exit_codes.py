"""Every exit code ``--help`` documents, each caused the way a user meets it."""

import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from freqtrade_bybit_margin.cli.app import EPILOG, main

from .helpers import REPO_CONFIG, USERDIR, Server, Terminal, run, write_config


Scenario = Callable[[Server, Path, pytest.MonkeyPatch], int]


def ok(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    return run(write_config(tmp_path, server("uta2").url), "plan")


def not_confirmed(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    running = server("classic")
    running.sim.open_position("XRPUSDT", side="Sell", size="10")
    return run(write_config(tmp_path, running.url), "apply", "--yes")


def declined(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    return run(write_config(tmp_path, server("classic").url), "apply")


def config_error(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    extra = {"bybit_margin": {"leverage": float("nan")}}
    return run(write_config(tmp_path, server("classic").url, extra=extra), "plan")


def usage_error(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    return main(["simulator", "--latency-ms", "-5"])


def keys_refused(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    files = write_config(tmp_path, server("classic").url, secret="wrong-secret-0123456789")
    return run(files, "status")


def permission_missing(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    running = server("uta2")
    running.sim.add_api_key("read-only-key-0001", "read-only-secret-0123456789", read_only=True)
    files = write_config(
        tmp_path, running.url, key="read-only-key-0001", secret="read-only-secret-0123456789"
    )
    return run(files, "apply", "--yes")


def interrupted(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    class CtrlC(Terminal):
        def readline(self, size: int = -1) -> str:
            raise KeyboardInterrupt

    monkeypatch.setattr("sys.stdin", CtrlC())
    return run(write_config(tmp_path, server("classic").url), "apply")


def output_closed(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    class ClosedPipe(io.StringIO):
        """What a pipe whose reader exited does: any write of something fails."""

        def write(self, text: str) -> int:
            if text:
                raise BrokenPipeError(32, "Broken pipe")
            return 0

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    return run(write_config(tmp_path, server("uta2").url), "plan")


SCENARIOS: list[tuple[int, Scenario]] = [
    (0, ok),
    (1, not_confirmed),
    (1, declined),
    (2, config_error),
    (2, usage_error),
    (3, keys_refused),
    (3, permission_missing),
    (130, interrupted),
    (141, output_closed),
]


@pytest.mark.parametrize(("code", "scenario"), SCENARIOS, ids=lambda x: getattr(x, "__name__", x))
def test_each_documented_exit_code(
    code: int,
    scenario: Scenario,
    sim_server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scenario(sim_server, tmp_path, monkeypatch) == code
    assert "Traceback" not in capsys.readouterr().err


def test_the_help_documents_exactly_the_codes_tested() -> None:
    documented = {int(n) for n in re.findall(r"^  (\d+) ", EPILOG, re.MULTILINE)}
    assert documented == {code for code, _ in SCENARIOS}


@pytest.mark.e2e
def test_a_closed_pipe_ends_quietly(sim_server: Server, tmp_path: Path) -> None:
    """``plan | head -1``: the first line, then a quiet end (no BrokenPipeError traceback)."""
    server = sim_server("uta2", extra_linear_symbols=300)
    extra = {"exchange": {"pair_whitelist": ["S[0-9]+/USDT:USDT"]}}
    files = write_config(tmp_path, server.url, extra=extra)
    args = [arg for name in [str(REPO_CONFIG), *files[1:]] for arg in ("-c", name)]
    command = [sys.executable, "-m", "freqtrade_bybit_margin", "plan", *args]
    pipeline = subprocess.run(
        [
            "bash",
            "-o",
            "pipefail",
            "-c",
            '"$@" | head -1',
            "plan",
            *command,
            "--userdir",
            str(USERDIR),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert pipeline.stdout.startswith("Account: UTA2.0")
    assert len(pipeline.stdout.splitlines()) == 1
    assert "Traceback" not in pipeline.stderr
    assert "BrokenPipeError" not in pipeline.stderr
    assert pipeline.returncode == 141  # pipefail: the plan's own code, "output closed"
