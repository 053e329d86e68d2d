"""A failed demo says why in freqtrade's own words, and names only log files that exist."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.demo import run as demo
from freqtrade_bybit_margin.demo.bot_runner import BotRun
from freqtrade_bybit_margin.demo.logs import existing_logs, last_errors

from .helpers import START_MS


IMPORT_DEATH = """\
Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "/site-packages/freqtrade/optimize/hyperopt_loss/hyperopt_loss_interface.py", line 5
    from scipy import stats
ModuleNotFoundError: No module named 'scipy'
"""
STARTUP_ERROR = """\
2026-12-01 10:00:00,123 - freqtrade.loggers - INFO - Verbosity set to 0
2026-12-01 10:00:01,456 - freqtrade - ERROR - Impossible to load Strategy 'Nope'. This class does \
not exist or contains Python code errors.
"""


def test_only_log_files_that_exist_are_named(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    assert existing_logs(tmp_path) == []
    (tmp_path / "logs" / "freqtrade.log").write_text("")  # empty: not worth reading
    (tmp_path / "logs" / "stdout.log").write_text(IMPORT_DEATH)
    assert existing_logs(tmp_path) == ["logs/stdout.log"]


def test_last_errors_are_records_and_the_exception_a_traceback_ends_with(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "stdout.log").write_text(IMPORT_DEATH)
    (tmp_path / "logs" / "freqtrade.log").write_text(STARTUP_ERROR * 2)

    assert last_errors(tmp_path) == [
        ("logs/freqtrade.log", [STARTUP_ERROR.splitlines()[1]]),
        ("logs/stdout.log", ["ModuleNotFoundError: No module named 'scipy'"]),
    ]


def dead_bot(workdir: Path) -> Callable[..., BotRun]:
    """A ``run_bot`` whose freqtrade died at import: no request, only stdout.log."""

    def run_bot(sim: Any, url: str, pairs: list[str], **_: Any) -> BotRun:
        (workdir / "logs").mkdir(parents=True)
        (workdir / "logs" / "stdout.log").write_text(IMPORT_DEATH)
        return BotRun([], IMPORT_DEATH, 1, workdir, pairs, START_MS, stopped=False)

    return run_bot


def test_a_bot_that_died_at_import_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "run"
    monkeypatch.setattr(demo, "run_bot", dead_bot(workdir))

    assert main(["demo", "--pair-count", "1"]) == 1

    out = capsys.readouterr().out
    assert "freqtrade exited by itself (exit code 1) before the demo stopped it" in out
    assert "freqtrade's last error lines (logs/stdout.log):" in out
    assert "  ModuleNotFoundError: No module named 'scipy'" in out
    assert f"Run folder kept: {workdir} (logs: logs/stdout.log)" in out
    assert "freqtrade.log" not in out  # it was never written: not pointed to
