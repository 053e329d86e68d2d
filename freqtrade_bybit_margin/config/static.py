"""
Every check that needs neither a request nor the exchange's markets, in one call: what the
strategy mixin runs when freqtrade constructs the strategy (right after freqtrade's exchange
init, before wallets, pairlists and ``bot_start``) and what the CLI runs before its first request.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from freqtrade_bybit_margin.config.schema import SECTION
from freqtrade_bybit_margin.config.settings import (
    Enablement,
    MarginSettings,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.config.sources import env_variables
from freqtrade_bybit_margin.errors import ConfigError


__all__ = ["check_section_name", "check_static"]

#: How close (difflib ratio of the names in lower case without separators) a top-level key must
#: be to ``bybit_margin`` to be taken for it: ``bybit_margins``, ``bybitMargin``, ``Bybit-Margin``.
SECTION_CUTOFF = 0.85


def check_static(
    config: Mapping[str, Any],
    strategy_defaults: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> MarginSettings | None:
    """
    The static configuration check: the settings, or None when the plugin is inert (not Bybit
    futures and no section; no section and no strategy attribute; ``"enabled": false``).

    No request is made and no market is needed.
    :param config: freqtrade's config (as the strategy receives it)
    :param strategy_defaults: the strategy class attribute ``bybit_margin``
    :param environ: the environment (default: ``os.environ``), to name the variable a bad value
        came from
    :return: the validated settings, or None when inert
    :raise ConfigError: a misspelt section name, a bad value (NaN, out of range, unknown key,
        a ``pair_leverage`` key that can match no pair), freqtrade's ``margin_mode`` cross, a
        section on another exchange or outside futures; the message names the key, the value,
        its source and what is allowed
    """
    check_section_name(config, environ=environ)
    exchange = str((config.get("exchange") or {}).get("name", "")).lower()
    mode = config.get("trading_mode") or "spot"
    trading_mode = str(getattr(mode, "value", mode))
    if (exchange != "bybit" or trading_mode != "futures") and SECTION not in config:
        return None  # a strategy may run elsewhere too; only a section that cannot work errs
    state = enablement(config, strategy_defaults)
    if state is Enablement.DISABLED or (state is Enablement.MISSING and SECTION not in config):
        return None  # "bybit_margin": null is not a missing section: load_settings refuses it
    return load_settings(config, strategy_defaults, environ=environ)


def check_section_name(
    config: Mapping[str, Any], *, environ: Mapping[str, str] | None = None
) -> None:
    """
    A top-level key that is a misspelling of ``bybit_margin`` is an error: without the section
    the plugin would stay inert while the user believes the bot is protected.

    :param config: freqtrade's config
    :param environ: the environment (default: ``os.environ``)
    :raise ConfigError: naming the key, where it came from and the right name
    """
    wanted = _squash(SECTION)
    for key in config:
        if not isinstance(key, str) or key == SECTION:
            continue
        if difflib.SequenceMatcher(None, _squash(key), wanted).ratio() < SECTION_CUTOFF:
            continue
        variables = [n for path, n in env_variables(environ).items() if path[0] == key]
        where = f"the environment variable {variables[0]}" if variables else "the config"
        raise ConfigError(
            f"{key}: unknown top-level key (in {where}); did you mean {SECTION!r}? Without a "
            f"{SECTION!r} section the plugin is inert and sets no margin mode or leverage; "
            f"allowed: {SECTION!r}."
        )


def _squash(name: str) -> str:
    """``Bybit-Margin`` -> ``bybitmargin``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())
