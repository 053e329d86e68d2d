"""
The ``bybit_margin`` configuration section: JSON Schema, consistency checks, frozen settings.

Pure: takes freqtrade's config as a plain mapping and returns :class:`MarginSettings` or raises
:class:`~freqtrade_bybit_margin.errors.ConfigError`. It reads freqtrade's own ``exchange.name``,
``trading_mode`` and ``margin_mode`` as dictionary keys and never imports freqtrade.

Validation follows freqtrade's own manners (``freqtrade/configuration/config_validation.py``):
a JSON Schema with a description per property, then small named ``_validate_*`` functions for
rules that span several keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

# jsonschema ships no type information (no types-jsonschema in the environment).
from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import finite_decimal, format_leverage, leverage_filter
from freqtrade_bybit_margin.model import MarginMode, PairTarget


SECTION = "bybit_margin"
"""Name of the section in freqtrade's config, and of the strategy class attribute."""


class OnFailure(StrEnum):
    """What happens to entries on a pair that is not confirmed at its target."""

    BLOCK = "block"
    """No entry on the pair until it is confirmed."""
    WARN = "warn"
    """Log a warning and let freqtrade enter anyway."""


class EntryCheck(StrEnum):
    """What proves a pair's margin settings right before an entry order."""

    READ = "read"
    """Bybit's word: a read (or a write's answer) no older than ``entry_check_max_age``."""
    TRUST = "trust"
    """The service's memory within ``verify_interval`` (no request per entry)."""


class OverMax(StrEnum):
    """What happens when Bybit's live maximum leverage is below a pair's configured one."""

    BLOCK = "block"
    """The pair is refused, naming Bybit's maximum."""
    CLAMP = "clamp"
    """The pair is prepared and traded at Bybit's maximum (freqtrade's trade agrees)."""


MARGIN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Margin mode and leverage every pair must have before a position opens.",
    "properties": {
        "enabled": {
            "description": "false: the mixin is inert on purpose (no request, no refusal).",
            "type": "boolean",
            "default": True,
        },
        "margin_mode": {
            "description": "Margin mode of every pair. Default: freqtrade's own `margin_mode`, "
            "which it must equal.",
            "type": "string",
            "enum": [m.value for m in MarginMode],
        },
        "leverage": {
            "description": "Leverage of every pair not matched by `pair_leverage`.",
            "type": "number",
            "minimum": 1,
            "default": 1,
        },
        "pair_leverage": {
            "description": "Leverage per pair: exact pair names first, then regular expressions "
            "(full match) in the order written.",
            "type": "object",
            "propertyNames": {"minLength": 1},
            "additionalProperties": {"type": "number", "minimum": 1},
            "default": {},
        },
        "on_failure": {
            "description": "`block`: no entry on a pair until it is confirmed; `warn`: log only.",
            "type": "string",
            "enum": [o.value for o in OnFailure],
            "default": OnFailure.BLOCK.value,
        },
        "verify_interval": {
            "description": "Seconds a confirmed pair is trusted before it is read again, so that "
            "a change made outside the bot is seen before the next entry.",
            "type": "number",
            "minimum": 1,
            "default": 60,
        },
        "entry_check": {
            "description": "`read`: before an entry order, Bybit's current settings must have "
            "been read (or written and answered) within `entry_check_max_age` seconds; "
            "`trust`: the last confirmation within `verify_interval` is enough (no request per "
            "entry; for a dedicated sub-account only).",
            "type": "string",
            "enum": [e.value for e in EntryCheck],
            "default": EntryCheck.READ.value,
        },
        "entry_check_max_age": {
            "description": "Seconds a read of Bybit's settings proves an entry (`entry_check: "
            "read`); 0 reads before every entry.",
            "type": "number",
            "minimum": 0,
            "default": 2,
        },
        "over_max": {
            "description": "Bybit's live maximum leverage below the configured one: `block` "
            "refuses the pair, `clamp` trades it at Bybit's maximum.",
            "type": "string",
            "enum": [o.value for o in OverMax],
            "default": OverMax.BLOCK.value,
        },
        "fill_tiers": {
            "description": "Read Bybit's leverage tiers for pairs freqtrade has none for (it "
            "would trade them at 1x) instead of refusing them.",
            "type": "boolean",
            "default": False,
        },
    },
    "additionalProperties": False,
}


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
    config: Mapping[str, Any], strategy_defaults: Mapping[str, Any] | None = None
) -> MarginSettings:
    """
    Validate the ``bybit_margin`` section of freqtrade's config and freeze it.

    The config section overrides the strategy attribute key by key, and ``pair_leverage`` entry
    by entry (a config entry replaces the attribute's entry of the same key; the attribute's other
    entries stay, after the config's).
    :param config: freqtrade's config (only ``exchange.name``, ``trading_mode``,
        ``margin_mode`` and ``bybit_margin`` are read).
    :param strategy_defaults: the strategy class attribute ``bybit_margin``
    :return: the settings
    :raise ConfigError: naming the key, the value and what is allowed
    """
    section = config.get(SECTION, {})
    _validate_section(section, origin="config")
    defaults = strategy_defaults if strategy_defaults is not None else {}
    _validate_section(defaults, origin="strategy attribute")
    merged: dict[str, Any] = {**_schema_defaults(), **defaults, **section}
    merged["pair_leverage"] = {
        **dict(section.get("pair_leverage", {})),
        **{
            key: value
            for key, value in dict(defaults.get("pair_leverage", {})).items()
            if key not in section.get("pair_leverage", {})
        },
    }

    _validate_exchange(config)
    _validate_trading_mode(config)
    _validate_margin_mode(config, merged)
    _validate_pair_patterns(merged)

    return MarginSettings(
        margin_mode=MarginMode(merged.get("margin_mode", _plain(config["margin_mode"]))),
        leverage=_leverage(f"{SECTION}.leverage", merged["leverage"]),
        pair_leverage=tuple(
            (key, _leverage(f"{SECTION}.pair_leverage[{key!r}]", value))
            for key, value in merged["pair_leverage"].items()
        ),
        on_failure=OnFailure(merged["on_failure"]),
        verify_interval=float(merged["verify_interval"]),
        entry_check=EntryCheck(merged["entry_check"]),
        entry_check_max_age=float(merged["entry_check_max_age"]),
        over_max=OverMax(merged["over_max"]),
        fill_tiers=bool(merged["fill_tiers"]),
    )


def _leverage(key: str, value: Any) -> Decimal:
    """A leverage the schema accepted, as an exact Decimal; NaN and Infinity are refused."""
    number = finite_decimal(value)
    if number is None or number < 1:
        raise ConfigError(f"{key}: {value!r} is not allowed; allowed: a finite number >= 1.")
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
    settings: MarginSettings, pairs: Sequence[str], markets: Iterable[str] = ()
) -> list[str]:
    """
    Check that every ``pair_leverage`` key means something for ``pairs``.

    A key that is a near miss of a market or whitelisted pair (spot notation ``BTC/USDT`` for
    ``BTC/USDT:USDT``, a typo) is an error: the pair would silently trade at the default
    leverage. A key that matches no whitelisted pair otherwise is returned as a warning line (a
    dynamic whitelist may bring its pair later; call again on each refresh).
    :param settings: validated settings
    :param pairs: the current whitelist
    :param markets: every pair name the exchange lists (for did-you-mean)
    :return: warning lines, one per key that matches no pair
    :raise ConfigError: a near miss, naming the key and the pair it probably means
    """
    known = list(dict.fromkeys([*pairs, *markets]))
    warnings: list[str] = []
    for key, _ in settings.pair_leverage:
        if key in pairs or any(re.fullmatch(key, pair) for pair in pairs):
            continue
        hint = _near_miss(key, known)
        if hint is not None:
            raise ConfigError(
                f"{SECTION}.pair_leverage: key {key!r} matches no pair; did you mean "
                f"{hint!r}? allowed: futures pair names such as 'BTC/USDT:USDT' or regular "
                "expressions such as 'ETH/.*'."
            )
        warnings.append(
            f"{SECTION}.pair_leverage: key {key!r} matches no pair of the whitelist "
            f"({len(pairs)} pairs); it has no effect until such a pair joins."
        )
    return warnings


def _near_miss(key: str, known: Sequence[str]) -> str | None:
    """The futures pair a key probably means: spot notation, or a typo of a known pair."""
    futures = [pair for pair in known if pair.startswith(key + ":")]
    if futures:
        return futures[0]
    if key in known or not re.fullmatch(r"[A-Za-z0-9]+/[A-Za-z0-9]+(:[A-Za-z0-9-]+)?", key):
        return None  # a real market outside the whitelist, or a regular expression
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
    return close[0] if close else None


# --- schema ----------------------------------------------------------------------------------


def _validate_section(section: Any, *, origin: str) -> None:
    """Validate one section against :data:`MARGIN_SCHEMA` (the first error, outermost first)."""
    errors = sorted(Draft7Validator(MARGIN_SCHEMA).iter_errors(section), key=_error_order)
    if errors:
        raise ConfigError(_describe(errors[0], origin))


def _schema_defaults() -> dict[str, Any]:
    return {
        key: subschema["default"]
        for key, subschema in MARGIN_SCHEMA["properties"].items()
        if "default" in subschema
    }


def _error_order(error: ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), str(list(error.absolute_path)))


def _describe(error: ValidationError, origin: str) -> str:
    """Turn a schema error into "key, value, what is allowed"."""
    path = [str(p) for p in error.absolute_path]
    key = ".".join([SECTION, *path[:1]]) + "".join(f"[{p!r}]" for p in path[1:])
    where = f" (in the {origin})"
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        unknown = [k for k in value if k not in allowed]
        name = unknown[0] if unknown else "?"
        hint = difflib.get_close_matches(name, allowed, n=1)
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        return (
            f"{key}: unknown key {name!r}{where}; allowed keys: "
            f"{', '.join(repr(a) for a in allowed)}.{did_you_mean}"
        )
    if error.validator == "enum":
        allowed_text = "one of " + ", ".join(repr(v) for v in schema.get("enum", []))
    elif error.validator == "minimum":
        allowed_text = f"a number >= {schema.get('minimum')}"
    elif error.validator == "type":
        allowed_text = {"number": "a number", "object": "an object", "string": "a string"}.get(
            str(schema.get("type")), str(schema.get("type"))
        )
    elif error.validator == "minLength":
        allowed_text = "a non-empty pair name or regular expression"
    else:
        allowed_text = error.message
    return f"{key}: {value!r}{where} is not allowed; allowed: {allowed_text}."


# --- consistency checks ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """freqtrade turns some settings into its own Enums once loaded; compare their values."""
    return value.value if isinstance(value, Enum) else value


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
    """The section's margin mode must equal freqtrade's.

    freqtrade sets its own top-level ``margin_mode`` again before every entry order
    (``Bybit._lev_prep``); a different mode here would be undone on each order.
    """
    freqtrade_mode = _plain(config.get("margin_mode"))
    allowed = [m.value for m in MarginMode]
    if freqtrade_mode not in allowed:
        raise ConfigError(
            f"margin_mode: {freqtrade_mode!r} (freqtrade's top-level setting) is not usable "
            f"with a {SECTION} section; allowed: 'isolated' or 'cross' (freqtrade itself "
            f"supports only 'isolated' futures on Bybit)."
        )
    wanted = section.get("margin_mode", freqtrade_mode)
    if wanted != freqtrade_mode:
        raise ConfigError(
            f"{SECTION}.margin_mode: {wanted!r} differs from freqtrade's margin_mode "
            f"{freqtrade_mode!r}; allowed: {freqtrade_mode!r} (or leave it out). freqtrade "
            f"sets its own margin_mode again before every entry order, so a different mode "
            f"would be undone on each order; freqtrade supports only isolated futures on Bybit."
        )


def _validate_pair_patterns(section: Mapping[str, Any]) -> None:
    """Every ``pair_leverage`` key must be a pair name or a valid regular expression."""
    for key in section.get("pair_leverage", {}):
        try:
            re.compile(key)
        except re.error as err:
            raise ConfigError(
                f"{SECTION}.pair_leverage: key {key!r} is not a valid regular expression "
                f"({err}); allowed: an exact pair name such as 'BTC/USDT:USDT' or a regular "
                f"expression such as 'ETH/.*'."
            ) from err
