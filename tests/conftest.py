"""Shared helpers and small, named fixtures (freqtrade's ``tests/conftest.py`` manners)."""

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    """freqtrade ``exchange`` settings that point both ccxt clients at a simulator server."""
    return simulator_exchange(url, api_key=key, api_secret=secret)


@pytest.fixture
def caplog_info(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """``caplog`` capturing INFO and up."""
    with caplog.at_level(logging.INFO):
        yield caplog
