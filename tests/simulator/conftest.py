"""Fixtures for the simulator tests."""

import pytest

from .helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock starting at a fixed instant."""
    return FakeClock()
