"""
freqtrade-bybit-margin: every pair a freqtrade bot may trade on Bybit is in the configured
margin mode and leverage before any position opens.

Importing this package does not import freqtrade, requests-mock or aiohttp; the strategy mixin
is loaded on first access of :data:`BybitMarginMixin`.
"""

from typing import TYPE_CHECKING, Any

from freqtrade_bybit_margin.ccxt_ext import install, switch_margin_mode, switch_margin_mode_async
from freqtrade_bybit_margin.errors import BybitMarginError, ConfigError
from freqtrade_bybit_margin.model import (
    AccountType,
    MarginMode,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)


if TYPE_CHECKING:
    from freqtrade_bybit_margin.strategy import BybitMarginMixin

__version__ = "0.1.0"

__all__ = [
    "AccountType",
    "BybitMarginError",
    "BybitMarginMixin",
    "ConfigError",
    "MarginMode",
    "Mechanism",
    "Outcome",
    "PairResult",
    "PairTarget",
    "__version__",
    "install",
    "switch_margin_mode",
    "switch_margin_mode_async",
]


def __getattr__(name: str) -> Any:
    if name == "BybitMarginMixin":
        from freqtrade_bybit_margin.strategy import BybitMarginMixin

        return BybitMarginMixin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
