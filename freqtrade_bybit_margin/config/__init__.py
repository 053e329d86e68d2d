"""
The ``bybit_margin`` configuration section: JSON Schema, sources, consistency checks, frozen
settings.

Pure: takes freqtrade's config as a plain mapping and returns :class:`MarginSettings` or raises
:class:`~freqtrade_bybit_margin.errors.ConfigError` naming the key, the value, where it came
from (the config, the strategy attribute, a ``FREQTRADE__BYBIT_MARGIN__...`` variable) and what
is allowed. It reads freqtrade's own ``exchange.name``, ``trading_mode`` and ``margin_mode`` as
dictionary keys and never imports freqtrade.

- :mod:`.schema`: the JSON Schema with its bounds (every number finite).
- :mod:`.sources`: where a value came from.
- :mod:`.pair_keys`: ``pair_leverage`` keys that cannot mean what they say (did-you-mean).
- :mod:`.settings`: :func:`load_settings` and the checks against the exchange's markets.
- :mod:`.static`: :func:`check_static`, every check without a request, for the strategy's
  construction and the CLI.
"""

from freqtrade_bybit_margin.config.schema import (
    LEVERAGE_RANGE,
    MARGIN_SCHEMA,
    SECTION,
    VERIFY_INTERVAL_RANGE,
    EntryCheck,
    OnFailure,
    OverMax,
)
from freqtrade_bybit_margin.config.settings import (
    Enablement,
    MarginSettings,
    check_leverage_limits,
    check_pair_keys,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.config.static import check_section_name, check_static


__all__ = [
    "LEVERAGE_RANGE",
    "MARGIN_SCHEMA",
    "SECTION",
    "VERIFY_INTERVAL_RANGE",
    "Enablement",
    "EntryCheck",
    "MarginSettings",
    "OnFailure",
    "OverMax",
    "check_leverage_limits",
    "check_pair_keys",
    "check_section_name",
    "check_static",
    "enablement",
    "load_settings",
]
