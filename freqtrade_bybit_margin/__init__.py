"""
freqtrade-bybit-margin: every pair a freqtrade bot may trade on Bybit is in the configured
margin mode and leverage before any position opens.

Importing this package imports neither ccxt, freqtrade, requests-mock nor aiohttp: the names
below that need them are loaded on first access.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

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
    from freqtrade_bybit_margin.bot.strategy import BybitMarginMixin
    from freqtrade_bybit_margin.client.ccxt_ext import (
        install,
        switch_margin_mode,
        switch_margin_mode_async,
    )

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

#: Names loaded on first access, and the module each comes from.
_LAZY = {
    "BybitMarginMixin": "freqtrade_bybit_margin.bot.strategy",
    "install": "freqtrade_bybit_margin.client.ccxt_ext",
    "switch_margin_mode": "freqtrade_bybit_margin.client.ccxt_ext",
    "switch_margin_mode_async": "freqtrade_bybit_margin.client.ccxt_ext",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
