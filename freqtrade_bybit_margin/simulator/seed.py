"""
Seed documents: a JSON state to reproduce (``POST /_sim/seed``, :meth:`BybitSimulator.seed`).

The whole document is checked first (:func:`plan`): every problem is a :class:`SeedError`
naming the field, its value and what is allowed. Then its sections are applied in this order
through the simulator's seeding methods (:mod:`.seeding`), so the document and the Python API
mean the same::

    {
      "account_margin_mode": "ISOLATED_MARGIN",
      "wallet": {"USDT": "5000"},
      "api_keys": [{"api_key": "k2", "api_secret": "s2", "read_only": true}],
      "coins": {"USDT": {"hedge": true}},
      "symbols": {"BTCUSDT": {"leverage": "5", "sell_leverage": "4", "trade_mode": 1,
                              "max_leverage": "25", "hedge": true}},
      "positions": [{"symbol": "XRPUSDT", "side": "Sell", "size": "100", "leverage": "10"}],
      "option_positions": [{"symbol": "BTC-27DEC24-60000-C", "side": "Buy", "size": "1"}],
      "orders": [{"symbol": "SOLUSDT", "side": "Buy", "qty": "1", "price": "100"}],
      "borrow": {"USDT": "50"},
      "collateral_at_limit": ["USDT"],
      "ip_ban": {"seconds": 600}
    }

A conflict with the state already there (e.g. hedge mode on a symbol that holds a position)
is found while applying: the sections before it stay applied.
"""

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from freqtrade_bybit_margin.simulator.instruments import Catalogue


#: (seeding method, keyword arguments), applied in order
Call = tuple[str, dict[str, Any]]

SIDES = ("Buy", "Sell")
SECTIONS = (
    "account_margin_mode",
    "wallet",
    "api_keys",
    "coins",
    "symbols",
    "positions",
    "option_positions",
    "orders",
    "borrow",
    "collateral_at_limit",
    "ip_ban",
)
SYMBOL_FIELDS = ("leverage", "sell_leverage", "trade_mode", "max_leverage", "hedge")
POSITION_FIELDS = ("symbol", "side", "size", "price", "leverage", "position_idx")
ORDER_FIELDS = ("symbol", "side", "qty", "price", "position_idx")
OPTION_FIELDS = ("symbol", "side", "size", "price", "mark_price")
KEY_FIELDS = (
    "api_key",
    "api_secret",
    "uid",
    "read_only",
    "permissions",
    "ips",
    "expires_at",
    "deadline_day",
)
BAN_FIELDS = ("seconds", "ip")


class SeedError(ValueError):
    """A seed document field that is not allowed (HTTP 400 on ``/_sim/seed``)."""


def fail(path: str, value: Any, allowed: str) -> SeedError:
    """The error for ``path`` holding ``value``."""
    return SeedError(f"seed field {path} = {value!r} is not allowed; allowed: {allowed}")


def _obj(value: Any, path: str, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise fail(path, value, "a JSON object")
    if fields is not None:
        for name in value:
            if name not in fields:
                raise fail(f"{path}.{name}", value[name], f"the fields {', '.join(fields)}")
    return dict(value)


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(path, value, "a JSON array")
    return value


def _number(value: Any, path: str, *, zero_ok: bool = False) -> str:
    """A decimal given as a string or a JSON number, returned as its string."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(path, value, 'a decimal string such as "10"')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise fail(path, value, 'a decimal string such as "10"') from None
    if not number.is_finite() or number < 0 or (number == 0 and not zero_ok):
        raise fail(path, value, "a number >= 0" if zero_ok else "a number > 0")
    return str(value)


def _choice(value: Any, path: str, allowed: tuple[Any, ...]) -> Any:
    if isinstance(value, bool) or value not in allowed:
        raise fail(path, value, ", ".join(str(a) for a in allowed))
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise fail(path, value, "true or false")
    return value


def _derivative(value: Any, path: str, catalogue: Catalogue) -> str:
    if not isinstance(value, str) or value not in catalogue.derivatives:
        raise fail(path, value, ", ".join(sorted(catalogue.derivatives)))
    return value


def _coin(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.isalnum() or not value.isupper():
        raise fail(path, value, "an upper-case coin such as USDT")
    return value


def plan(doc: Any, catalogue: Catalogue, margin_modes: tuple[str, ...]) -> list[Call]:
    """Check ``doc`` and turn it into seeding calls.

    :param doc: the seed document
    :param catalogue: the instruments (symbols must be derivatives of it)
    :param margin_modes: the allowed ``account_margin_mode`` values
    :return: the calls, in application order
    :raise SeedError: naming the first field not allowed
    """
    spec = _obj(doc, "(document)", SECTIONS)
    calls: list[Call] = []
    if "account_margin_mode" in spec:
        mode = _choice(spec["account_margin_mode"], "account_margin_mode", margin_modes)
        calls.append(("set_account_margin_mode", {"mode": mode}))
    for name in SECTIONS[1:]:
        if name in spec:
            calls += _SECTION_PLANS[name](spec[name], catalogue)
    return calls


def _wallet(value: Any, catalogue: Catalogue) -> list[Call]:
    items = _obj(value, "wallet").items()
    return [
        (
            "set_balance",
            {"coin": _coin(c, f"wallet.{c}"), "amount": _number(a, f"wallet.{c}", zero_ok=True)},
        )
        for c, a in items
    ]


def _borrow(value: Any, catalogue: Catalogue) -> list[Call]:
    items = _obj(value, "borrow").items()
    return [
        (
            "set_borrow",
            {"coin": _coin(c, f"borrow.{c}"), "amount": _number(a, f"borrow.{c}", zero_ok=True)},
        )
        for c, a in items
    ]


def _api_keys(value: Any, catalogue: Catalogue) -> list[Call]:
    calls: list[Call] = []
    for n, item in enumerate(_list(value, "api_keys")):
        path = f"api_keys[{n}]"
        key = _obj(item, path, KEY_FIELDS)
        for name in ("api_key", "api_secret"):
            if not isinstance(key.get(name), str) or not key[name]:
                raise fail(f"{path}.{name}", key.get(name), "a non-empty string")
        if "uid" in key and (isinstance(key["uid"], bool) or not isinstance(key["uid"], int)):
            raise fail(f"{path}.uid", key["uid"], "an integer UID")
        if "read_only" in key:
            _bool(key["read_only"], f"{path}.read_only")
        if "ips" in key:
            key["ips"] = tuple(_list(key["ips"], f"{path}.ips"))
        day = key.get("deadline_day")
        if day is not None and (isinstance(day, bool) or not isinstance(day, int)):
            raise fail(f"{path}.deadline_day", day, "an integer number of days")
        if key.get("expires_at") is not None and not isinstance(key["expires_at"], str):
            raise fail(f"{path}.expires_at", key["expires_at"], "an ISO-8601 time or null")
        calls.append(("add_api_key", key))
    return calls


def _coins(value: Any, catalogue: Catalogue) -> list[Call]:
    calls: list[Call] = []
    for coin, item in _obj(value, "coins").items():
        path = f"coins.{coin}"
        entry = _obj(item, path, ("hedge",))
        if "hedge" not in entry:
            raise fail(f"{path}.hedge", None, "true or false")
        hedge = _bool(entry["hedge"], f"{path}.hedge")
        calls.append(("set_position_mode", {"coin": _coin(coin, path), "hedge": hedge}))
    return calls


def _symbols(value: Any, catalogue: Catalogue) -> list[Call]:
    calls: list[Call] = []
    for symbol, item in _obj(value, "symbols").items():
        path = f"symbols.{symbol}"
        _derivative(symbol, path, catalogue)
        entry = _obj(item, path, SYMBOL_FIELDS)
        if "max_leverage" in entry:
            top = _number(entry["max_leverage"], f"{path}.max_leverage")
            calls.append(("set_max_leverage", {"symbol": symbol, "max_leverage": top}))
        if "hedge" in entry:
            hedge = _bool(entry["hedge"], f"{path}.hedge")
            calls.append(("set_position_mode", {"symbol": symbol, "hedge": hedge}))
        settings: dict[str, Any] = {"symbol": symbol}
        if "trade_mode" in entry:
            settings["trade_mode"] = _choice(entry["trade_mode"], f"{path}.trade_mode", (0, 1))
        for name in ("leverage", "sell_leverage"):
            if name in entry:
                settings[name] = _number(entry[name], f"{path}.{name}")
        if len(settings) > 1:
            calls.append(("set_symbol", settings))
    return calls


def _positions(value: Any, catalogue: Catalogue) -> list[Call]:
    calls: list[Call] = []
    for n, item in enumerate(_list(value, "positions")):
        path = f"positions[{n}]"
        entry = _obj(item, path, POSITION_FIELDS)
        kwargs = _trade(entry, path, catalogue, size_field="size")
        if "leverage" in entry:
            kwargs["leverage"] = _number(entry["leverage"], f"{path}.leverage")
        calls.append(("open_position", kwargs))
    return calls


def _orders(value: Any, catalogue: Catalogue) -> list[Call]:
    calls: list[Call] = []
    for n, item in enumerate(_list(value, "orders")):
        path = f"orders[{n}]"
        entry = _obj(item, path, ORDER_FIELDS)
        if "price" not in entry:
            raise fail(f"{path}.price", None, "a limit price (resting orders never fill)")
        calls.append(("place_resting_order", _trade(entry, path, catalogue, size_field="qty")))
    return calls


def _trade(
    entry: dict[str, Any], path: str, catalogue: Catalogue, *, size_field: str
) -> dict[str, Any]:
    """symbol, side, size / qty, price, position_idx of a position or an order."""
    kwargs: dict[str, Any] = {
        "symbol": _derivative(entry.get("symbol"), f"{path}.symbol", catalogue),
        "side": _choice(entry.get("side"), f"{path}.side", SIDES),
        size_field: _number(entry.get(size_field), f"{path}.{size_field}"),
    }
    if "price" in entry:
        kwargs["price"] = _number(entry["price"], f"{path}.price")
    if "position_idx" in entry:
        kwargs["position_idx"] = _choice(entry["position_idx"], f"{path}.position_idx", (0, 1, 2))
    return kwargs


def _option_positions(value: Any, catalogue: Catalogue) -> list[Call]:
    calls: list[Call] = []
    for n, item in enumerate(_list(value, "option_positions")):
        path = f"option_positions[{n}]"
        entry = _obj(item, path, OPTION_FIELDS)
        if not isinstance(entry.get("symbol"), str):
            raise fail(
                f"{path}.symbol",
                entry.get("symbol"),
                "an option symbol such as BTC-27DEC24-60000-C",
            )
        kwargs: dict[str, Any] = {
            "symbol": entry["symbol"],
            "side": _choice(entry.get("side"), f"{path}.side", SIDES),
            "size": _number(entry.get("size"), f"{path}.size"),
        }
        for name in ("price", "mark_price"):
            if name in entry:
                kwargs[name] = _number(entry[name], f"{path}.{name}")
        calls.append(("open_option_position", kwargs))
    return calls


def _collateral(value: Any, catalogue: Catalogue) -> list[Call]:
    coins = [
        _coin(c, f"collateral_at_limit[{n}]")
        for n, c in enumerate(_list(value, "collateral_at_limit"))
    ]
    return [("set_collateral_at_limit", {"coins": coins})]


def _ip_ban(value: Any, catalogue: Catalogue) -> list[Call]:
    entry = _obj(value, "ip_ban", BAN_FIELDS)
    kwargs: dict[str, Any] = {}
    if "seconds" in entry:
        kwargs["seconds"] = float(_number(entry["seconds"], "ip_ban.seconds"))
    if "ip" in entry:
        if not isinstance(entry["ip"], str) or not entry["ip"]:
            raise fail("ip_ban.ip", entry["ip"], "an IP address string")
        kwargs["ip"] = entry["ip"]
    return [("ban_ip", kwargs)]


_SECTION_PLANS: dict[str, Callable[[Any, Catalogue], list[Call]]] = {
    "wallet": _wallet,
    "api_keys": _api_keys,
    "coins": _coins,
    "symbols": _symbols,
    "positions": _positions,
    "option_positions": _option_positions,
    "orders": _orders,
    "borrow": _borrow,
    "collateral_at_limit": _collateral,
    "ip_ban": _ip_ban,
}
