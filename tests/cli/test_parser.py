"""The command line itself: version, help, commands, and the demo's documented limits."""

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import freqtrade_bybit_margin
from freqtrade_bybit_margin import __version__
from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.demo import run as demo

from .helpers import REPO


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_help_documents_exit_codes_and_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in (
        "plan",
        "apply",
        "status",
        "demo",
        "simulator",
        "exit codes",
        "FREQTRADE__EXCHANGE__KEY",
        '"exit_code"',
    ):
        assert word in out
    assert main([]) == 2
    assert main(["plan", "--no-such-option"]) == 2


def test_pairs_is_a_list_everywhere_and_the_demo_takes_a_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--pairs PAIRS" in out
    assert "--any-pair" in out

    assert main(["demo", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--pair-count N" in out
    assert "--pairs" not in out
    assert main(["demo", "--pairs", "2"]) == 2
    assert main(["demo", "--pair-count", "41"]) == 2
    assert "allowed: a whole number from 1 to 40" in capsys.readouterr().err


def test_readme_and_help_agree_on_the_demo_time_limits(capsys: pytest.CaptureFixture[str]) -> None:
    default, most = f"{demo.DEFAULT_SECONDS:.0f}", f"{demo.MAX_SECONDS:.0f}"
    assert main(["demo", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"default {default}, at most {most}" in help_text
    assert main(["demo", "--timeout", str(demo.MAX_SECONDS + 1)]) == 2
    capsys.readouterr()

    readme = (REPO / "README.md").read_text()
    section = readme.split("## The demo", 1)[1].split("\n## ", 1)[0]
    said = {int(n) for n in re.findall(r"(\d+) s\b", section)}
    assert said == {int(default), int(most)}, section[:400]


def test_python_dash_m(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m freqtrade_bybit_margin`` in-process. By path: pytest imports the package
    through its assertion-rewriting hook (it is a pytest plugin's package), whose loader
    ``runpy.run_module`` cannot run; the process itself is tested below."""
    monkeypatch.setattr("sys.argv", ["freqtrade-bybit-margin", "--version"])
    main_file = Path(freqtrade_bybit_margin.__file__).with_name("__main__.py")
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(main_file), run_name="__main__")
    assert stop.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.e2e
def test_console_script_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "freqtrade_bybit_margin", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert __version__ in done.stdout
