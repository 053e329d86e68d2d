"""The generated set of bad configurations through the CLI: refused with exit 2 before any
request, the key named on stderr, no traceback."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.config.bad_sections import BAD_CONFIGS, BadConfig

from .helpers import MINIMAL_CONFIG, write_config


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedSimulatorServer]:
    with ThreadedSimulatorServer(BybitSimulator("uta2")) as running:
        yield running


@pytest.mark.parametrize("bad", BAD_CONFIGS, ids=lambda bad: bad.id)
def test_a_bad_configuration_stops_the_cli_before_any_request(
    bad: BadConfig,
    server: ThreadedSimulatorServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = tmp_path / "base.json"
    base.write_text(
        json.dumps({key: v for key, v in MINIMAL_CONFIG.items() if key != "bybit_margin"})
    )
    _, overlay = write_config(tmp_path, server.url)
    layer = tmp_path / "bad.json"
    layer.write_text(json.dumps(bad.top, allow_nan=True))
    before = len(server.sim.journal)

    code = main(["plan", "-c", str(base), "-c", overlay, "-c", str(layer)])

    err = capsys.readouterr().err
    assert code == 2, err
    assert bad.named in err
    assert "Traceback" not in err
    assert len(server.sim.journal) == before
