"""
pytest fixtures for the Bybit simulator (registered through the ``pytest11`` entry point).

``bybit_sim``: a fresh classic :class:`~.core.BybitSimulator` with ``mock_bybit`` active for
the test; ``bybit_sim_server``: a :class:`~.server.ThreadedSimulatorServer` around a fresh
simulator (``server.sim``). Imports happen inside the fixtures.
"""

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest


if TYPE_CHECKING:
    from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer


logger = logging.getLogger(__name__)


@pytest.fixture
def bybit_sim() -> Iterator["BybitSimulator"]:
    """A fresh classic-account simulator answering ``requests`` calls to Bybit hosts."""
    from freqtrade_bybit_margin.simulator import BybitSimulator, mock_bybit

    sim = BybitSimulator()
    with mock_bybit(sim):
        yield sim


@pytest.fixture
def bybit_sim_server() -> Iterator["ThreadedSimulatorServer"]:
    """A loopback HTTP server around a fresh simulator; ``server.sim`` is the simulator."""
    from freqtrade_bybit_margin.simulator import (
        BybitSimulator,
        ThreadedSimulatorServer,
    )

    with ThreadedSimulatorServer(BybitSimulator()) as server:
        yield server
