"""Fixtures for the CLI tests: simulator servers, wide tables, a fast clock for long lists."""

from collections.abc import Iterator
from typing import Any

import pytest

from freqtrade_bybit_margin.cli import commands
from freqtrade_bybit_margin.cli.exchange import build_exchange
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.clock import FastClock

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


@pytest.fixture
def fast_clock(monkeypatch: pytest.MonkeyPatch) -> FastClock:
    """
    A clock 25 times faster than real time for the CLI's service and ccxt's request timestamps
    (ccxt's own throttle, which sleeps in real time, off): give it to the simulator too
    (``sim_server(..., clock=fast_clock.ms)``) and a Classic pass over 100 pairs, paced at
    Bybit's 10/s, takes a fraction of a second.
    """
    clock = FastClock(25.0)

    def exchange(config: Any) -> Any:
        client = build_exchange(config)
        client.nonce = clock.ms  # bybit signs X-BAPI-TIMESTAMP with nonce()
        client.enableRateLimit = False  # ccxt's own throttle sleeps in real time
        return client

    def service(client: Any, **kwargs: Any) -> MarginService:
        return MarginService(client, clock=clock.time, sleep=clock.sleep, **kwargs)

    monkeypatch.setattr(commands, "build_exchange", exchange)
    monkeypatch.setattr(commands, "MarginService", service)
    return clock
