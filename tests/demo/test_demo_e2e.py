"""The demo as users run it: a real ``freqtrade trade`` process against the simulator."""

import json
from pathlib import Path

import pytest

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.demo.sample import CONFIG, STRATEGY_FILES, install_sample


pytestmark = pytest.mark.e2e

IMPORT_ERROR = "synthetic: freqtrade cannot start without scipy"

FAILING_HOOK = """

    def bot_start(self, **kwargs: Any) -> None:
        super().bot_start(**kwargs)
        logging.getLogger("freqtrade_bybit_margin.strategy").error("synthetic plugin failure")
"""


def test_demo_passes_and_prints_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--account", "classic", "--pair-count", "2", "--timeout", "60"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "BTC/USDT:USDT" in out
    assert "ETH/USDT:USDT" in out
    assert "every one prepared before its first order" in out
    assert "Run folder kept" not in out


def test_demo_fails_when_the_plugin_logs_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every pair prepared and traded, but an ERROR from the plugin: the demo fails, keeps its
    folder and says where it is."""
    user_data = install_sample(tmp_path / "user_data")
    sample = user_data / STRATEGY_FILES[0]
    source = sample.read_text().replace("class BybitMarginSample(", "class FailingSample(")
    (sample.parent / "FailingSample.py").write_text(source + FAILING_HOOK)
    sample.unlink()
    config = json.loads((user_data / CONFIG).read_text())
    (user_data / CONFIG).write_text(json.dumps({**config, "strategy": "FailingSample"}))

    code = main(
        [
            "demo",
            "--account",
            "uta2",
            "--pair-count",
            "1",
            "--timeout",
            "60",
            "--user-data",
            str(user_data),
        ]
    )

    out = capsys.readouterr().out
    assert code == 1, out
    assert "plugin ERROR freqtrade_bybit_margin.strategy: synthetic plugin failure" in out
    kept = next(line for line in out.splitlines() if line.startswith("Run folder kept: "))
    folder = Path(kept.removeprefix("Run folder kept: ").split(" (", 1)[0])
    assert "synthetic plugin failure" in (folder / "logs" / "freqtrade.log").read_text()


def test_freqtrade_dying_at_import_is_explained_in_the_demos_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As freqtrade 2026.6 without scipy: the process dies importing, before its log file
    exists; the demo prints the import error from the process's output and fails."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "rapidjson.py").write_text(f"raise ImportError({IMPORT_ERROR!r})\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))  # the bot's process only: imported at start

    code = main(["demo", "--pair-count", "1", "--timeout", "60"])

    out = capsys.readouterr().out
    assert code == 1, out
    assert f"ImportError: {IMPORT_ERROR}" in out
    assert "freqtrade exited by itself" in out
    assert "(logs: logs/stdout.log)" in out
