"""Fixtures for the simulator tests."""

import pytest

from .helpers import FakeClock


def pytest_configure(config: pytest.Config) -> None:
    """Load ``pytester`` for test_plugin.py (only a rootdir conftest may use pytest_plugins)."""
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock starting at a fixed instant."""
    return FakeClock()
