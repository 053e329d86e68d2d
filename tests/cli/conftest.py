"""Fixtures for the CLI tests: simulator servers and wide tables."""

from collections.abc import Iterator
from typing import Any

import pytest

from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer

from .helpers import Server


@pytest.fixture
def sim_server() -> Iterator[Server]:
    """Start a simulator server for an account type; stopped at the end of the test."""
    servers: list[Any] = []

    def start(account_type: Any = "classic", **kwargs: Any) -> Any:
        server = ThreadedSimulatorServer(BybitSimulator(account_type, **kwargs))
        server.__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as they like, for assertions that read one table row per line."""
    monkeypatch.setenv("COLUMNS", "200")
