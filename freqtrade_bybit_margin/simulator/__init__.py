"""
Local Bybit V5 simulator: an in-memory account answering the REST API the plugin and
freqtrade's live loop use, over requests-mock or a loopback HTTP server.

Importing this package imports neither requests-mock, aiohttp nor freqtrade.
"""

from freqtrade_bybit_margin.simulator.core import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
)
from freqtrade_bybit_margin.simulator.exceptions import SimulatorApiError
from freqtrade_bybit_margin.simulator.faults import Fault, FaultKind
from freqtrade_bybit_margin.simulator.ipban import DEFAULT_CLIENT_IP
from freqtrade_bybit_margin.simulator.journal import JournalEntry
from freqtrade_bybit_margin.simulator.keys import KeyProfile
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.mock import MockBybit, mock_bybit, mount_session
from freqtrade_bybit_margin.simulator.pipeline import SimResponse
from freqtrade_bybit_margin.simulator.ratelimit import BudgetHog
from freqtrade_bybit_margin.simulator.seed import SeedError
from freqtrade_bybit_margin.simulator.server import ThreadedSimulatorServer
from freqtrade_bybit_margin.simulator.urls import ccxt_urls


__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "DEFAULT_CLIENT_IP",
    "BudgetHog",
    "BybitSimulator",
    "Fault",
    "FaultKind",
    "JournalEntry",
    "KeyProfile",
    "MockBybit",
    "SeedError",
    "SimKnobs",
    "SimResponse",
    "SimulatorApiError",
    "ThreadedSimulatorServer",
    "ccxt_urls",
    "mock_bybit",
    "mount_session",
]
