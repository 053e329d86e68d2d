"""
The ``bybit_margin`` section's JSON Schema, its bounds, and schema errors turned into one line
naming the key, the value, where it came from and what is allowed.

Validation follows freqtrade's own manners (``freqtrade/configuration/config_validation.py``):
a JSON Schema with a description per property; rules that span several keys are in
:mod:`.settings`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

# jsonschema ships no type information (no types-jsonschema in the environment).
from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from freqtrade_bybit_margin.config.sources import Sources
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.model import MarginMode


__all__ = [
    "LEVERAGE_RANGE",
    "MARGIN_SCHEMA",
    "SECTION",
    "VERIFY_INTERVAL_RANGE",
    "EntryCheck",
    "OnFailure",
    "OverMax",
    "schema_defaults",
    "validate_section",
]

SECTION = "bybit_margin"
"""Name of the section in freqtrade's config, and of the strategy class attribute."""

#: Leverage: at least 1x; Bybit's highest maximum is 200x (each market's own leverage filter is
#: checked once the markets are known).
LEVERAGE_RANGE = (1, 200)
#: ``verify_interval``: a second to a day.
VERIFY_INTERVAL_RANGE = (1, 86400)
#: ``entry_check_max_age``: 0 (read before every entry) up to a day, and never above
#: ``verify_interval`` (checked with the merged section).
ENTRY_CHECK_MAX_AGE_RANGE = (0, 86400)


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


def _number(low: float, high: float, default: float | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number", "minimum": low, "maximum": high}
    if default is not None:
        schema["default"] = default
    return schema


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
            "description": "Leverage of every pair not matched by `pair_leverage` (1 to 200; "
            "each market's leverage filter is checked too).",
            **_number(*LEVERAGE_RANGE, default=1),
        },
        "pair_leverage": {
            "description": "Leverage per pair: exact pair names first, then regular expressions "
            "(full match) in the order written.",
            "type": "object",
            "propertyNames": {"minLength": 1},
            "additionalProperties": _number(*LEVERAGE_RANGE),
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
            "a change made outside the bot is seen before the next entry (1 to 86400).",
            **_number(*VERIFY_INTERVAL_RANGE, default=60),
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
            "read`); 0 reads before every entry; at most `verify_interval`.",
            **_number(*ENTRY_CHECK_MAX_AGE_RANGE, default=2),
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


def validate_section(section: Any, sources: Sources) -> None:
    """
    Validate one section against :data:`MARGIN_SCHEMA`: numbers must be finite first (a JSON
    Schema range lets NaN through), then the first schema error, outermost first.

    :param section: the config section or the strategy attribute
    :param sources: where its values came from, for the message
    :raise ConfigError: naming the key, the value, its source and what is allowed
    """
    _check_finite(section, sources)
    errors = sorted(Draft7Validator(MARGIN_SCHEMA).iter_errors(section), key=_error_order)
    if errors:
        raise ConfigError(_describe(errors[0], sources))


def schema_defaults() -> dict[str, Any]:
    """Every key's default, as the schema gives it."""
    return {
        key: subschema["default"]
        for key, subschema in MARGIN_SCHEMA["properties"].items()
        if "default" in subschema
    }


def _check_finite(section: Any, sources: Sources) -> None:
    """NaN and Infinity (freqtrade's JSON loader and its environment variables accept both)."""
    if not isinstance(section, Mapping):
        return
    properties = MARGIN_SCHEMA["properties"]
    found: list[tuple[tuple[str, ...], Any, Mapping[str, Any]]] = [
        ((key,), value, properties[key])
        for key, value in section.items()
        if key in properties and properties[key].get("type") == "number"
    ]
    pairs = section.get("pair_leverage")
    if isinstance(pairs, Mapping):
        rule = properties["pair_leverage"]["additionalProperties"]
        found += [(("pair_leverage", str(k)), v, rule) for k, v in pairs.items()]
    for path, value, rule in found:
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(
                f"{key_name(path)}: {value!r}{sources.where(path)} is not allowed; "
                f"allowed: {_range_text(rule)}."
            )


def key_name(path: tuple[str, ...] | list[str]) -> str:
    """``("pair_leverage", "BTC/USDT:USDT")`` -> ``bybit_margin.pair_leverage['BTC/USDT:USDT']``."""
    return ".".join([SECTION, *path[:1]]) + "".join(f"[{p!r}]" for p in path[1:])


def _range_text(rule: Mapping[str, Any]) -> str:
    return f"a finite number from {rule['minimum']} to {rule['maximum']}"


def _error_order(error: ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), str(list(error.absolute_path)))


def _describe(error: ValidationError, sources: Sources) -> str:
    """Turn a schema error into "key, value, source, what is allowed"."""
    path = tuple(str(p) for p in error.absolute_path)
    key = key_name(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        unknown = [k for k in value if k not in allowed]
        name = unknown[0] if unknown else "?"
        hint = difflib.get_close_matches(name, allowed, n=1)
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        return (
            f"{key}: unknown key {name!r}{sources.where((*path, name))}; allowed keys: "
            f"{', '.join(repr(a) for a in allowed)}.{did_you_mean}"
        )
    if error.validator == "enum":
        allowed_text = "one of " + ", ".join(repr(v) for v in schema.get("enum", []))
    elif error.validator in ("minimum", "maximum"):
        allowed_text = _range_text(schema)
    elif error.validator == "type":
        allowed_text = {
            "number": "a number",
            "object": "an object",
            "string": "a string",
            "boolean": "true or false",
        }.get(str(schema.get("type")), str(schema.get("type")))
    elif error.validator == "minLength":
        allowed_text = "a non-empty pair name or regular expression"
    else:
        allowed_text = error.message
    return f"{key}: {value!r}{sources.where(path)} is not allowed; allowed: {allowed_text}."
