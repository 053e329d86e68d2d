"""
The README's CLI transcripts are replayed: every ``$ freqtrade-bybit-margin ...`` line of the
"Try it against the simulator" section runs (in-process, from a folder holding the sample
``user_data/``), and what it prints must be what the README shows. ``$ cat FILE`` lines create
the files they show; a ``simulator`` line (re)starts the simulator the later lines talk to.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin import simulator as simulator_package
from freqtrade_bybit_margin.cli import simulator
from freqtrade_bybit_margin.cli.app import build_parser, main
from freqtrade_bybit_margin.demo.sample import install_sample
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.clock import FastClock

from .helpers import REPO


PROMPT = "$ "
PROGRAM = "freqtrade-bybit-margin"
SECTION = "### Try it against the simulator"
#: What differs from run to run: the port and the trade database's time stamp.
VOLATILE = (
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"simulator-trades-\d{8}-\d{6}-\w+\.sqlite"), "simulator-trades-TIME-PORT.sqlite"),
)


@dataclass
class Step:
    """One ``$`` line of a transcript and what the README shows it print."""

    command: list[str]
    output: list[str] = field(default_factory=list)
    exit_code: int = 0


def transcripts(readme: str) -> list[Step]:
    """Every ``$`` line of the section's code blocks, in order, with its output."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps: list[Step] = []
    for block in re.findall(r"^```\n(.*?)^```", section, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            if line.startswith(PROMPT):
                steps.append(Step(shlex.split(line[len(PROMPT) :])))
            elif steps and (found := re.fullmatch(r"\(exit code (\d+)\)", line)):
                steps[-1].exit_code = int(found[1])
            elif steps:
                steps[-1].output.append(line)
    return steps


def normalised(text: str) -> list[str]:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    while text.endswith("\n\n"):
        text = text[:-1]
    return text.splitlines()


class Session:
    """The simulator the README started last, serving in a thread (its output is captured)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self, argv: list[str]) -> list[str]:
        self.stop()
        self._capsys.readouterr()
        args = build_parser().parse_args(argv)
        if args.overlay.exists():
            args.overlay.unlink()
        stop = self._stop = threading.Event()
        self._thread = threading.Thread(target=simulator.serve, args=(args, stop))
        self._thread.start()
        said = ""
        for _ in range(200):
            said += self._capsys.readouterr().out
            if "Ctrl-C stops it." in said:
                return normalised(said)
            stop.wait(0.05)
        raise AssertionError(f"the simulator did not start: {said}")

    def stop(self) -> None:
        if self._stop is not None and self._thread is not None:
            self._stop.set()
            self._thread.join(10)


@pytest.fixture
def session(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fast_clock: FastClock,
) -> Iterator[Session]:
    """A folder like the README's reader has: ``user_data/`` with the sample config; the
    simulators the transcripts start and the CLI share a fast clock (the commands follow each
    other within Bybit's rate-limit windows, which the CLI waits out)."""

    class Simulator(BybitSimulator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, clock=fast_clock.ms, **kwargs)

    monkeypatch.setattr(simulator_package, "BybitSimulator", Simulator)
    install_sample(tmp_path / "user_data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables as they come out at 80 columns
    running = Session(capsys)
    yield running
    running.stop()


def test_the_readme_transcripts_are_what_the_cli_prints(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = transcripts((REPO / "README.md").read_text())
    assert [step.command[:2] for step in steps if step.command[0] == PROGRAM][:1] == [
        [PROGRAM, "simulator"]
    ]
    for step in steps:
        if step.command[0] == "cat":
            Path(step.command[1]).write_text("\n".join(step.output) + "\n")
            continue
        assert step.command[0] == PROGRAM, step.command
        expected = normalised("\n".join(step.output))
        if step.command[1] == "simulator":
            assert session.start(step.command[1:]) == expected, step.command
            continue
        code = main(step.command[1:])
        assert normalised(capsys.readouterr().out) == expected, step.command
        assert code == step.exit_code, step.command


SIMULATOR_SECTION = "## The simulator (for your own tests)"


def blocks(language: str, heading: str) -> list[str]:
    """The ```language code blocks of the README section under ``heading``."""
    readme = (REPO / "README.md").read_text()
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


def test_the_simulator_snippet_runs() -> None:
    [snippet] = blocks("python", SIMULATOR_SECTION)
    exec(compile(snippet, "README.md", "exec"), {})  # the README's own code, as a reader runs it


def test_the_seed_document_and_the_control_routes_work_as_shown() -> None:
    [document] = blocks("json", SIMULATOR_SECTION)
    [commands] = blocks("bash", SIMULATOR_SECTION)
    with ThreadedSimulatorServer(BybitSimulator("uta2")) as server:
        request = urllib.request.Request(
            f"{server.url}/_sim/seed", data=document.encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # the simulator, 127.0.0.1
            assert json.loads(answer.read())["seeded"]["applied"]
        answers = [
            subprocess.run(
                shlex.split(line.replace("PORT", str(server.port))),
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
            for line in commands.splitlines()
        ]
        assert server.sim.account_margin_mode == "ISOLATED_MARGIN"
        assert json.loads(answers[0])["symbols"]["XRPUSDT"]["position_size"] == "100"
        assert json.loads(answers[1])["fault"]["ret_code"] == 10006
