"""
pytest fixtures for the Bybit simulator (registered through the ``pytest11`` entry point
``bybit_sim``; loads without requests-mock, which only ``bybit_sim`` needs).

``bybit_sim``: a fresh :class:`~.core.BybitSimulator` with ``mock_bybit`` active for the test;
``bybit_sim_server``: a :class:`~.server.ThreadedSimulatorServer` around a fresh simulator
(``server.sim``). Both read ``@pytest.mark.bybit_sim(...)``: its keyword arguments go to the
simulator (``account_type="uta2"``, ``knobs=SimKnobs(...)``, ``rate_limits=False``...), and
``strict_faults=True`` fails the test at teardown when an injected fault never fired.
Imports happen inside the fixtures.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest


if TYPE_CHECKING:
    from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer


MARKER = "bybit_sim"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``bybit_sim`` marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**kwargs): BybitSimulator arguments for the bybit_sim / bybit_sim_server "
        "fixtures (account_type=, knobs=, ...); strict_faults=True asserts every injected "
        "fault fired",
    )


def _marker_kwargs(request: pytest.FixtureRequest) -> tuple[dict[str, Any], bool]:
    """Simulator arguments from the markers (the closest wins) and the strictness flag."""
    kwargs: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        kwargs.update(marker.kwargs)
    strict = bool(kwargs.pop("strict_faults", False))
    return kwargs, strict


def _simulator(request: pytest.FixtureRequest) -> tuple["BybitSimulator", bool]:
    from freqtrade_bybit_margin.simulator import BybitSimulator

    kwargs, strict = _marker_kwargs(request)
    return BybitSimulator(**kwargs), strict


@pytest.fixture
def bybit_sim(request: pytest.FixtureRequest) -> Iterator["BybitSimulator"]:
    """A fresh simulator (classic unless marked) answering ``requests`` calls to Bybit hosts."""
    from freqtrade_bybit_margin.simulator.mock import mock_bybit, require_requests_mock

    try:
        require_requests_mock()
    except ModuleNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    sim, strict = _simulator(request)
    with mock_bybit(sim):
        yield sim
    if strict:
        sim.assert_faults_fired()


@pytest.fixture
def bybit_sim_server(request: pytest.FixtureRequest) -> Iterator["ThreadedSimulatorServer"]:
    """A loopback HTTP server around a fresh simulator; ``server.sim`` is the simulator."""
    from freqtrade_bybit_margin.simulator import ThreadedSimulatorServer

    sim, strict = _simulator(request)
    with ThreadedSimulatorServer(sim) as server:
        yield server
    if strict:
        sim.assert_faults_fired()
