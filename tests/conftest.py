"""Shared helpers and small, named fixtures (freqtrade's ``tests/conftest.py`` manners)."""

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


TESTS = Path(__file__).resolve().parent
SIM_API_KEYS = ("public", "private", "spot", "futures", "v2")


def log_has(line: str, caplog: pytest.LogCaptureFixture) -> bool:
    """True if ``line`` is one of the captured log messages."""
    return any(line == record.getMessage() for record in caplog.records)


def log_has_re(pattern: str, caplog: pytest.LogCaptureFixture) -> bool:
    """True if a captured log message matches ``pattern`` (re.search)."""
    return any(re.search(pattern, record.getMessage()) for record in caplog.records)


def sim_exchange_config(url: str, *, key: str = "", secret: str = "") -> dict[str, Any]:
    """freqtrade ``exchange`` settings that point both ccxt clients at a simulator server."""
    return {
        "name": "bybit",
        "key": key,
        "secret": secret,
        "enable_ws": False,
        "ccxt_config": {"urls": {"api": dict.fromkeys(SIM_API_KEYS, url)}},
    }


@pytest.fixture
def caplog_info(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """``caplog`` capturing INFO and up."""
    with caplog.at_level(logging.INFO):
        yield caplog
