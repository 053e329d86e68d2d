"""
Request parameter parsing: required/optional, strings vs integers, pagination cursors.
Anything malformed is a 10001 (https://bybit-exchange.github.io/docs/v5/error).

POST bodies are typed JSON: strings must be JSON strings (``"10"``, not ``10``), integers JSON
integers, as Bybit's typed decoder expects; GET queries are all strings.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from freqtrade_bybit_margin.simulator.exceptions import ParamsError


CURSOR_PREFIX = "sim-offset:"


def req_str(params: Mapping[str, Any], name: str) -> str:
    """A required, non-empty string parameter."""
    value = opt_str(params, name)
    if value is None:
        raise ParamsError(f"params error: {name} is required")
    return value


def opt_str(params: Mapping[str, Any], name: str) -> str | None:
    """An optional string parameter (``""`` counts as absent)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParamsError(f"params error: {name} must be a string, got {type(value).__name__}")
    return value


def choice(params: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    """A required string parameter among ``allowed``."""
    value = req_str(params, name)
    if value not in allowed:
        raise ParamsError(f"params error: {name} must be one of {', '.join(allowed)}")
    return value


def req_decimal(params: Mapping[str, Any], name: str) -> Decimal:
    """A required decimal sent as a string (``"10"``), strictly positive."""
    return _decimal(req_str(params, name), name)


def opt_decimal(params: Mapping[str, Any], name: str) -> Decimal | None:
    """An optional decimal sent as a string."""
    text = opt_str(params, name)
    return _decimal(text, name) if text is not None else None


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ParamsError(f"params error: {name} {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ParamsError(f"params error: {name} must be positive")
    return value


def req_json_int(params: Mapping[str, Any], name: str, allowed: tuple[int, ...]) -> int:
    """A required JSON integer among ``allowed`` (booleans and strings refused)."""
    value = params.get(name)
    if value is None:
        raise ParamsError(f"params error: {name} is required")
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise ParamsError(f"params error: {name} must be one of {allowed}")
    return value


def opt_int(params: Mapping[str, Any], name: str, *, default: int, lo: int, hi: int) -> int:
    """An optional integer (query string or JSON) within ``[lo, hi]``."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ParamsError(f"params error: {name} must be an integer") from None
    if not lo <= number <= hi:
        raise ParamsError(f"params error: {name} must be within [{lo}, {hi}]")
    return number


def opt_time(params: Mapping[str, Any], name: str) -> int | None:
    """An optional millisecond timestamp."""
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParamsError(f"params error: {name} must be a timestamp in ms") from None


def opt_bool(params: Mapping[str, Any], name: str) -> bool:
    """An optional boolean (JSON ``true``/``false`` or ``"true"``/``"false"``)."""
    value = params.get(name, False)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise ParamsError(f"params error: {name} must be a boolean")


def paginate(rows: list[Any], *, limit: int, cursor: str | None) -> tuple[list[Any], str]:
    """Cursor paging as Bybit does: ``nextPageCursor`` is ``""`` on the last page."""
    offset = 0
    if cursor:
        if not cursor.startswith(CURSOR_PREFIX) or not cursor[len(CURSOR_PREFIX) :].isdigit():
            raise ParamsError(f"params error: invalid cursor {cursor!r}")
        offset = int(cursor[len(CURSOR_PREFIX) :])
    page = rows[offset : offset + limit]
    nxt = offset + limit
    return page, f"{CURSOR_PREFIX}{nxt}" if nxt < len(rows) else ""
