"""
Local Bybit V5 simulator: an in-memory account answering the REST API the plugin and
freqtrade's live loop use, over requests-mock or a loopback HTTP server.

Importing this package imports neither requests-mock, aiohttp nor freqtrade.
"""

from freqtrade_bybit_margin.simulator.core import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    SimResponse,
)
from freqtrade_bybit_margin.simulator.exceptions import SimulatorApiError
from freqtrade_bybit_margin.simulator.journal import JournalEntry
from freqtrade_bybit_margin.simulator.mock import MockBybit, mock_bybit
from freqtrade_bybit_margin.simulator.rules import SimKnobs
from freqtrade_bybit_margin.simulator.server import ThreadedSimulatorServer


__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "BybitSimulator",
    "JournalEntry",
    "MockBybit",
    "SimKnobs",
    "SimResponse",
    "SimulatorApiError",
    "ThreadedSimulatorServer",
    "mock_bybit",
]
