"""
Where a ``bybit_margin`` value came from: the config files, the strategy's class attribute, or
one of freqtrade's ``FREQTRADE__BYBIT_MARGIN__...`` environment variables (which freqtrade
merges into the config, lower-casing every part of the name after the prefix).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


__all__ = ["ENV_PREFIX", "Sources", "env_variables"]

#: freqtrade's prefix for configuration environment variables (``freqtrade.constants``).
ENV_PREFIX = "FREQTRADE__"
CONFIG = "config"
STRATEGY_ATTRIBUTE = "strategy attribute"


def env_variables(environ: Mapping[str, str] | None = None) -> dict[tuple[str, ...], str]:
    """
    freqtrade's configuration environment variables by the config path each one sets.

    ``FREQTRADE__BYBIT_MARGIN__LEVERAGE`` -> ``("bybit_margin", "leverage")``, as freqtrade's
    ``environment_vars_to_dict`` nests and lower-cases them.

    :param environ: the environment (default: ``os.environ``)
    :return: path -> variable name
    """
    env = os.environ if environ is None else environ
    return {
        tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__")): name
        for name in env
        if name.startswith(ENV_PREFIX)
    }


@dataclass(frozen=True)
class Sources:
    """Where the values of one ``bybit_margin`` dict came from.

    :param origin: ``config`` or ``strategy attribute``
    :param env: config paths under the section set by environment variables (config only)
    """

    origin: str = CONFIG
    env: Mapping[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def of_config(cls, section: str, environ: Mapping[str, str] | None = None) -> Sources:
        """The config section ``section``, with what the environment sets under it."""
        found = {
            path[1:]: name for path, name in env_variables(environ).items() if path[0] == section
        }
        return cls(CONFIG, found)

    @classmethod
    def of_strategy(cls) -> Sources:
        """The strategy's class attribute."""
        return cls(STRATEGY_ATTRIBUTE)

    def where(self, path: tuple[str, ...] | list[str]) -> str:
        """
        `` (in the config)``, `` (in the strategy attribute)`` or `` (in the environment
        variable FREQTRADE__BYBIT_MARGIN__LEVERAGE)`` for the value at ``path``.

        :param path: keys under the section, e.g. ``("pair_leverage", "BTC/USDT:USDT")``
        """
        parts = tuple(str(p) for p in path)  # freqtrade lower-cases what it sets
        for length in range(len(parts), 0, -1):
            name = self.env.get(parts[:length])
            if name is not None:
                return f" (in the environment variable {name})"
        return f" (in the {self.origin})"
