"""The demo command's wiring, with the bot run replaced by a synthetic one (no subprocess)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.demo import run as demo
from freqtrade_bybit_margin.demo.bot_runner import BotRun

from .helpers import Journal


ERROR_LINE = (
    "2026-12-01 10:00:00,123 - freqtrade_bybit_margin.strategy - ERROR - Bybit margin: "
    "preparing 2 pairs failed (AttributeError('boom'))\n"
)


def fake_bot(workdir: Path, log: str) -> Callable[..., BotRun]:
    """A ``run_bot`` that 'ran' freqtrade: both pairs switched, then traded."""

    def run_bot(sim: Any, url: str, pairs: list[str], **_: Any) -> BotRun:
        workdir.mkdir()
        (workdir / "logs").mkdir()
        journal = Journal()
        for symbol, leverage in (("BTCUSDT", "5"), ("ETHUSDT", "4")):
            journal.switch(symbol, leverage)
        for symbol in ("BTCUSDT", "ETHUSDT"):
            journal.entry_order(symbol)
            sim.open_position(symbol, side="Buy", size="0.01")
        return journal.run(pairs, log, workdir)

    return run_bot


@pytest.mark.parametrize(("log", "code"), [("", 0), (ERROR_LINE, 1)])
def test_demo_verdict_and_run_folder(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    log: str,
    code: int,
) -> None:
    workdir = tmp_path / "run"
    monkeypatch.setattr(demo, "run_bot", fake_bot(workdir, log))

    assert main(["demo", "--account", "classic", "--pair-count", "2"]) == code

    out = capsys.readouterr().out
    assert "Simulated Bybit (classic) + freqtrade LIVE with 2 pairs; up to 75 s ..." in out
    if code == 0:
        assert (
            "OK: 2 traded pair(s), 2 holding a position, every one prepared before its first" in out
        )
        assert not workdir.exists()
    else:
        assert "FAILED:" in out
        assert "plugin ERROR freqtrade_bybit_margin.strategy: Bybit margin: preparing" in out
        assert workdir.is_dir()  # a failed demo keeps its logs ...
        assert f"Run folder kept: {workdir} (freqtrade wrote no log)" in out  # ... says where


def test_demo_with_a_user_data_folder_without_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--user-data", str(tmp_path)]) == 2
    assert "config.json not found" in capsys.readouterr().err
