"""A generated set of bad ``bybit_margin`` configurations, each with the key its error must
name: shared by the config tests (``check_static``), the CLI tests and the strategy tests."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, NamedTuple


class BadConfig(NamedTuple):
    """A freqtrade config (top-level keys over a valid base) and the key its error names."""

    top: dict[str, Any]
    named: str
    bad: Any

    @property
    def id(self) -> str:
        return f"{self.named}={self.bad!r}"


NAN, INF = math.nan, math.inf
BAD_NUMBERS: tuple[Any, ...] = (NAN, INF, -INF, "3", True, None, [3], {"x": 1})
#: Per key of the section: values that are not allowed (type, range, choice).
BAD_VALUES: dict[str, tuple[Any, ...]] = {
    "enabled": ("no", 0, None, "true"),
    "margin_mode": ("portfolio", "ISOLATED", "cross", 1, None),
    "leverage": (*BAD_NUMBERS, 0, 0.5, -3, 201, 1e12),
    "on_failure": ("ignore", "", "BLOCK", 1, None),
    "verify_interval": (*BAD_NUMBERS, 0, -1, 86401, 1e12),
    "entry_check": ("never", "READ", 1),
    "entry_check_max_age": (NAN, INF, -1, 86401, 61, "2"),
    "over_max": ("raise", 0, None),
    "fill_tiers": ("yes", 1, None),
    "pair_leverage": ([], "BTC/USDT:USDT", 3, None),
}
BAD_PAIR_VALUES: tuple[Any, ...] = (*BAD_NUMBERS, 0, 201)
BAD_PAIR_KEYS = (
    "",
    "ETH/(USDT",
    "BTC/USDT",
    "btc/usdt:usdt",
    "BTCUSDT",
    "ETH/USDT:USDT ",
    "BTC/USDT:USD",
    "\u0412\u0422\u0421/USDT:USDT",
    "\uff22\uff34\uff23/USDT:USDT",
    "ETH/USDT:USDT\u200b",
)
UNKNOWN_KEYS = ("leverge", "pairs_leverage", "LEVERAGE", "on-failure", "verify", "x")
MISSPELT_SECTIONS = (
    "bybit_margins",
    "bybitMargin",
    "Bybit_Margin",
    "bybit-margin",
    "bybitmargin",
    "bybit_margn",
    "BYBIT_MARGIN",
    "bybit__margin",
)
#: freqtrade's own settings a section cannot work with: (top-level keys, key named)
FREQTRADE_CONFLICTS: tuple[tuple[dict[str, Any], str], ...] = (
    ({"margin_mode": "cross"}, "margin_mode"),
    ({"margin_mode": ""}, "margin_mode"),
    ({"trading_mode": "spot"}, "trading_mode"),
    ({"trading_mode": "margin"}, "trading_mode"),
    ({"exchange": {"name": "binance"}}, "exchange.name"),
    ({"exchange": {"name": "okx"}}, "exchange.name"),
)
SECTION = {"leverage": 3, "pair_leverage": {"BTC/USDT:USDT": 5}}


def bad_configs() -> Iterator[BadConfig]:
    """Every bad configuration of the set (more than 100)."""
    for key, values in BAD_VALUES.items():
        for value in values:
            yield BadConfig({"bybit_margin": {**SECTION, key: value}}, f"bybit_margin.{key}", value)
    for value in BAD_PAIR_VALUES:
        section = {**SECTION, "pair_leverage": {"ETH/.*": value}}
        yield BadConfig({"bybit_margin": section}, "bybit_margin.pair_leverage", f"ETH/.*: {value}")
    for pair_key in BAD_PAIR_KEYS:
        section = {**SECTION, "pair_leverage": {pair_key: 4}}
        yield BadConfig({"bybit_margin": section}, "bybit_margin.pair_leverage", f"key {pair_key}")
    for unknown in UNKNOWN_KEYS:
        yield BadConfig({"bybit_margin": {**SECTION, unknown: 3}}, f"unknown key {unknown!r}", 3)
    for not_an_object in ([], "leverage", 3, None, True):
        yield BadConfig({"bybit_margin": not_an_object}, "bybit_margin", not_an_object)
    for name in MISSPELT_SECTIONS:
        yield BadConfig({name: SECTION}, f"{name}: unknown top-level key", name)
    for top, named in FREQTRADE_CONFLICTS:
        yield BadConfig({**top, "bybit_margin": SECTION}, named, next(iter(top.values())))


BAD_CONFIGS = list(bad_configs())
