"""The plugin's own exceptions. Exchange failures keep ccxt's classes."""


class BybitMarginError(Exception):
    """Base of every error raised by freqtrade-bybit-margin itself."""


class ConfigError(BybitMarginError, ValueError):
    """A ``bybit_margin`` setting, or a freqtrade setting it depends on, is not usable.

    The message names the key, the value and what is allowed.
    """
