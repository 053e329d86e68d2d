"""Shared helpers and small, named fixtures (freqtrade's ``tests/conftest.py`` manners)."""

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from freqtrade_bybit_margin.demo.overlay import simulator_exchange


pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent


def log_has(line: str, caplog: pytest.LogCaptureFixture) -> bool:
    """True if ``line`` is one of the captured log messages."""
    return any(line == record.getMessage() for record in caplog.records)


def log_has_re(pattern: str, caplog: pytest.LogCaptureFixture) -> bool:
    """True if a captured log message matches ``pattern`` (re.search)."""
    return any(re.search(pattern, record.getMessage()) for record in caplog.records)


def sim_exchange_config(url: str, *, key: str = "", secret: str = "") -> dict[str, Any]:
    """freqtrade ``exchange`` settings that point both ccxt clients at a simulator server.

    For the async client, what only costs time against a plain-HTTP simulator on loopback: its
    ``close()`` sleeping ``timeout_on_exit`` (250 ms) for sockets to drain, which every bot's
    cleanup pays, and its TLS context (certifi's bundle loaded, ~20 ms per bot), which plain
    HTTP never uses.
    """
    exchange = simulator_exchange(url, api_key=key, api_secret=secret)
    exchange["ccxt_async_config"] = {"timeout_on_exit": 0, "verify": False}
    return exchange


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (each runs a freqtrade process for seconds): with xdist's work
    stealing, the short ones then fill the gaps instead of a long one starting last."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture
def caplog_info(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """``caplog`` capturing INFO and up."""
    with caplog.at_level(logging.INFO):
        yield caplog


#: Moves the wall clock ``seconds`` ahead (see :func:`later`).
Later = Callable[[float], None]


@pytest.fixture
def later(time_machine: time_machine.TimeMachineFixture) -> Later:
    """
    The wall clock of the whole test process, moved ahead on demand: the plugin, freqtrade, ccxt
    and the simulator all read ``time.time()``, so they move together (signatures stay valid,
    "later" is later for everyone). Time keeps flowing between moves.
    """
    time_machine.move_to(datetime.now(UTC), tick=True)
    return time_machine.shift
