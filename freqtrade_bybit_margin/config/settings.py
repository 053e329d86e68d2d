"""
The validated, frozen ``bybit_margin`` settings: :func:`load_settings` (schema, sources,
consistency with freqtrade's own settings, static ``pair_leverage`` key checks) and the checks
that need the exchange's markets (:func:`check_leverage_limits`, :func:`check_pair_keys`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from freqtrade_bybit_margin.config.pair_keys import (
    market_near_miss,
    near_miss_message,
    static_near_miss,
)
from freqtrade_bybit_margin.config.schema import (
    MARGIN_SCHEMA,
    SECTION,
    EntryCheck,
    OnFailure,
    OverMax,
    key_name,
    schema_defaults,
    validate_section,
)
from freqtrade_bybit_margin.config.sources import Sources
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import finite_decimal, format_leverage, leverage_filter
from freqtrade_bybit_margin.model import MarginMode, PairTarget


__all__ = [
    "Enablement",
    "MarginSettings",
    "check_leverage_limits",
    "check_pair_keys",
    "enablement",
    "load_settings",
]

#: What freqtrade 2025.10 to 2026.9 answer for cross futures on Bybit (``Exchange.
#: validate_trading_mode_and_margin_mode``; ``Bybit._supported_trading_mode_margin_pairs`` has
#: the cross pair commented out).
FREQTRADE_CROSS_REFUSAL = "Freqtrade does not support 'cross' 'futures' on Bybit."


@dataclass(frozen=True)
class MarginSettings:
    """The validated ``bybit_margin`` section.

    :param margin_mode: margin mode of every pair.
    :param leverage: leverage of every pair not matched by ``pair_leverage``.
    :param pair_leverage: (pair name or regex, leverage) in the order written.
    :param on_failure: what happens to entries on a pair that is not confirmed.
    :param verify_interval: seconds a confirmed pair is trusted before it is read again.
    :param entry_check: what proves a pair right before an entry order.
    :param entry_check_max_age: seconds a read proves an entry (``entry_check: read``).
    :param over_max: what happens when Bybit's live maximum is below the configured leverage.
    :param fill_tiers: read leverage tiers freqtrade lacks instead of refusing the pair.
    """

    margin_mode: MarginMode
    leverage: Decimal
    pair_leverage: tuple[tuple[str, Decimal], ...]
    on_failure: OnFailure
    verify_interval: float = 60.0
    entry_check: EntryCheck = EntryCheck.READ
    entry_check_max_age: float = 2.0
    over_max: OverMax = OverMax.BLOCK
    fill_tiers: bool = False

    @property
    def entry_max_age(self) -> float:
        """Seconds a confirmation proves an entry order, by ``entry_check``."""
        if self.entry_check is EntryCheck.TRUST:
            return self.verify_interval
        return self.entry_check_max_age

    def leverage_for(self, pair: str) -> Decimal:
        """
        Leverage configured for ``pair``.

        An exact pair name wins; then the first regular expression that matches the whole pair
        name, in the order written; then the default ``leverage``.
        :param pair: freqtrade pair name, e.g. ``BTC/USDT:USDT``
        :return: the configured leverage
        """
        for key, value in self.pair_leverage:
            if key == pair:
                return value
        for key, value in self.pair_leverage:
            if re.fullmatch(key, pair):
                return value
        return self.leverage

    def target_for(self, pair: str) -> PairTarget:
        """
        Margin mode and leverage ``pair`` must have before it may open a position.
        :param pair: freqtrade pair name
        """
        return PairTarget(pair=pair, margin_mode=self.margin_mode, leverage=self.leverage_for(pair))


class Enablement(StrEnum):
    """Whether the ``bybit_margin`` section asks the plugin to act."""

    MISSING = "missing"
    """No section in the config and no strategy class attribute: inert, with a WARNING."""
    DISABLED = "disabled"
    """``"enabled": false``: inert on purpose."""
    ENABLED = "enabled"


def enablement(
    config: Mapping[str, Any], strategy_defaults: Mapping[str, Any] | None = None
) -> Enablement:
    """
    Whether the config (or the strategy's ``bybit_margin`` attribute) enables the plugin.

    The config's ``enabled`` wins over the attribute's. Nothing else is validated here.
    :param config: freqtrade's config
    :param strategy_defaults: the strategy class attribute ``bybit_margin``
    """
    section = config.get(SECTION)
    defaults = strategy_defaults or None
    if section is None and defaults is None:
        return Enablement.MISSING
    merged = {**(defaults or {}), **(section if isinstance(section, Mapping) else {})}
    return Enablement.DISABLED if merged.get("enabled") is False else Enablement.ENABLED


def load_settings(
    config: Mapping[str, Any],
    strategy_defaults: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> MarginSettings:
    """
    Validate the ``bybit_margin`` section of freqtrade's config and freeze it. No request, no
    markets needed.

    The config section overrides the strategy attribute key by key, and ``pair_leverage`` entry
    by entry (a config entry replaces the attribute's entry of the same key; the attribute's other
    entries stay, after the config's).
    :param config: freqtrade's config (only ``exchange.name``, ``trading_mode``,
        ``margin_mode`` and ``bybit_margin`` are read).
    :param strategy_defaults: the strategy class attribute ``bybit_margin``
    :param environ: the environment, to name ``FREQTRADE__BYBIT_MARGIN__...`` variables as the
        source of a bad value (default: ``os.environ``)
    :return: the settings
    :raise ConfigError: naming the key, the value, where it came from and what is allowed
    """
    section = config.get(SECTION, {})
    defaults = strategy_defaults if strategy_defaults is not None else {}
    sources = (Sources.of_config(SECTION, environ), Sources.of_strategy())
    for part, source in zip((section, defaults), sources, strict=True):
        validate_section(part, source)
        _validate_pair_keys(part.get("pair_leverage", {}), source)
    merged = _merged(section, defaults)
    _validate_exchange(config)
    _validate_trading_mode(config)
    _validate_margin_mode(config, merged)
    _settle_max_age(merged, section, defaults, sources)
    return MarginSettings(
        margin_mode=MarginMode(merged.get("margin_mode", _plain(config["margin_mode"]))),
        leverage=_leverage(merged["leverage"]),
        pair_leverage=tuple(
            (key, _leverage(value)) for key, value in merged["pair_leverage"].items()
        ),
        on_failure=OnFailure(merged["on_failure"]),
        verify_interval=float(merged["verify_interval"]),
        entry_check=EntryCheck(merged["entry_check"]),
        entry_check_max_age=float(merged["entry_check_max_age"]),
        over_max=OverMax(merged["over_max"]),
        fill_tiers=bool(merged["fill_tiers"]),
    )


def _settle_max_age(
    merged: dict[str, Any],
    section: Mapping[str, Any],
    defaults: Mapping[str, Any],
    sources: tuple[Sources, Sources],
) -> None:
    """A given ``entry_check_max_age`` must not exceed ``verify_interval``; the default never
    does (it shrinks to a short ``verify_interval``)."""
    if "entry_check_max_age" in section or "entry_check_max_age" in defaults:
        _validate_max_age(merged, sources[0] if "entry_check_max_age" in section else sources[1])
    else:
        merged["entry_check_max_age"] = min(
            merged["entry_check_max_age"], merged["verify_interval"]
        )


def _merged(section: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The schema's defaults, then the attribute's keys, then the config's; ``pair_leverage``
    entry by entry (the config's entries first, then the attribute's others)."""
    merged: dict[str, Any] = {**schema_defaults(), **defaults, **section}
    ours = dict(section.get("pair_leverage", {}))
    theirs = dict(defaults.get("pair_leverage", {}))
    merged["pair_leverage"] = {**ours, **{k: v for k, v in theirs.items() if k not in ours}}
    return merged


def _leverage(value: Any) -> Decimal:
    """A leverage the schema accepted (finite, in range), as an exact Decimal."""
    number = finite_decimal(value)
    if number is None:  # pragma: no cover - the schema and the finite check refused it
        raise ConfigError(f"{SECTION}: leverage {value!r} is not a finite number.")
    return number


def check_leverage_limits(
    settings: MarginSettings, pairs: Iterable[str], markets: Mapping[str, Mapping[str, Any]]
) -> None:
    """
    Check each pair's configured leverage against the market's leverage filter.

    Pairs without a market are left to freqtrade, which drops them from the whitelist.
    :param settings: validated settings
    :param pairs: pairs the bot may trade
    :param markets: ccxt markets by pair name
    :raise ConfigError: one line per pair whose leverage is out of range or off the step
    """
    problems: list[str] = []
    for pair in pairs:
        market = markets.get(pair)
        if market is None:
            continue
        leverage = settings.leverage_for(pair)
        limits = leverage_filter(market)
        if limits.problem(leverage) is not None:
            problems.append(
                f"{SECTION}: leverage {format_leverage(leverage)} for {pair} is not allowed by "
                f"its market; allowed: {limits.allowed}."
            )
    if problems:
        raise ConfigError("\n".join(problems))


def check_pair_keys(
    settings: MarginSettings,
    pairs: Sequence[str],
    markets: Iterable[str] | Mapping[str, Mapping[str, Any]] = (),
) -> list[str]:
    """
    Check that every ``pair_leverage`` key means something for ``pairs``.

    A key that is a near miss of a market or whitelisted pair (spot notation ``BTC/USDT`` for
    ``BTC/USDT:USDT``, Bybit's symbol ``BTCUSDT``, a different case, whitespace, a look-alike
    letter, a typo) is an error: the pair would silently trade at the default leverage. A key
    that matches no whitelisted pair otherwise is returned as a warning line (a dynamic
    whitelist may bring its pair later; call again on each refresh).
    :param settings: validated settings
    :param pairs: the current whitelist
    :param markets: every pair name the exchange lists, or the ccxt markets by pair name (for
        did-you-mean)
    :return: warning lines, one per key that matches no pair
    :raise ConfigError: a near miss, naming the key and the pair it probably means
    """
    known = markets if isinstance(markets, Mapping) else list(markets)
    warnings: list[str] = []
    for key, _ in settings.pair_leverage:
        if key in pairs or any(re.fullmatch(key, pair) for pair in pairs):
            continue
        miss = market_near_miss(key, pairs, known)
        if miss is not None:
            raise ConfigError(near_miss_message(key, miss))
        warnings.append(
            f"{SECTION}.pair_leverage: key {key!r} matches no pair of the whitelist "
            f"({len(pairs)} pairs); it has no effect until such a pair joins."
        )
    return warnings


# --- consistency checks ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """freqtrade turns some settings into its own Enums once loaded; compare their values."""
    return value.value if isinstance(value, Enum) else value


def _validate_pair_keys(pair_leverage: Any, sources: Sources) -> None:
    """Every key a valid regular expression, and none that can match no Bybit pair at all."""
    for key in pair_leverage:
        where = sources.where(("pair_leverage", key))
        try:
            re.compile(key)
        except re.error as err:
            raise ConfigError(
                f"{SECTION}.pair_leverage: key {key!r}{where} is not a valid regular expression "
                f"({err}); allowed: an exact pair name such as 'BTC/USDT:USDT' or a regular "
                f"expression such as 'ETH/.*'."
            ) from err
        miss = static_near_miss(key)
        if miss is not None:
            raise ConfigError(near_miss_message(key, miss, where))


def _validate_exchange(config: Mapping[str, Any]) -> None:
    """The section only makes sense on Bybit."""
    name = (config.get("exchange") or {}).get("name")
    if str(name).lower() != "bybit":
        raise ConfigError(
            f"exchange.name: {name!r} cannot be used with a {SECTION} section; allowed: 'bybit'."
        )


def _validate_trading_mode(config: Mapping[str, Any]) -> None:
    """Margin mode and leverage exist only for futures."""
    mode = _plain(config.get("trading_mode"))
    if mode != "futures":
        raise ConfigError(
            f"trading_mode: {mode!r} cannot be used with a {SECTION} section (margin mode and "
            f"leverage exist only for futures); allowed: 'futures'."
        )


def _validate_margin_mode(config: Mapping[str, Any], section: Mapping[str, Any]) -> None:
    """freqtrade's margin mode must be isolated (the only one freqtrade trades futures with on
    Bybit), and the section's must equal it.

    freqtrade sets its own top-level ``margin_mode`` again before every entry order
    (``Bybit._lev_prep``); a different mode here would be undone on each order.
    """
    freqtrade_mode = _plain(config.get("margin_mode"))
    if freqtrade_mode != MarginMode.ISOLATED.value:
        refusal = (
            f' (it stops with "{FREQTRADE_CROSS_REFUSAL}")' if freqtrade_mode == "cross" else ""
        )
        raise ConfigError(
            f"margin_mode: {freqtrade_mode!r} (freqtrade's top-level setting) is not usable "
            f"with a {SECTION} section; allowed: 'isolated'. freqtrade supports only isolated "
            f"futures on Bybit{refusal}."
        )
    wanted = section.get("margin_mode", freqtrade_mode)
    if wanted != freqtrade_mode:
        raise ConfigError(
            f"{SECTION}.margin_mode: {wanted!r} differs from freqtrade's margin_mode "
            f"{freqtrade_mode!r}; allowed: {freqtrade_mode!r} (or leave it out). freqtrade "
            f"sets its own margin_mode again before every entry order, so a different mode "
            f"would be undone on each order; freqtrade supports only isolated futures on Bybit."
        )


def _validate_max_age(merged: Mapping[str, Any], sources: Sources) -> None:
    """A read older than ``verify_interval`` is never kept, so it cannot prove an entry."""
    max_age, interval = merged["entry_check_max_age"], merged["verify_interval"]
    if max_age > interval:
        low = MARGIN_SCHEMA["properties"]["entry_check_max_age"]["minimum"]
        raise ConfigError(
            f"{key_name(['entry_check_max_age'])}: {max_age!r}"
            f"{sources.where(['entry_check_max_age'])} is not allowed; allowed: a finite number "
            f"from {low} to verify_interval ({interval!r})."
        )
