"""
ccxt extension ``switch_margin_mode``: Bybit V5 ``POST /v5/position/switch-isolated``.

Sets the margin mode (cross / isolated) and the leverage of ONE symbol in one signed request,
through ccxt's own implicit endpoint ``privatePostV5PositionSwitchIsolated``, so signing, rate
limiting and error mapping stay ccxt's. Bybit serves this endpoint only on Classic accounts
(linear + inverse) and UTA1.0 (inverse); it is deprecated ("abandon") since 2025-11-17.

https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MethodType
from typing import Any

import ccxt

from freqtrade_bybit_margin.constants import Category, RetCode
from freqtrade_bybit_margin.model import AccountType, MarginMode


__all__ = [
    "SwitchRequest",
    "account_type_of",
    "build_switch_request",
    "bybit_ret_code",
    "format_leverage",
    "install",
    "serves_switch_isolated",
    "switch_margin_mode",
    "switch_margin_mode_async",
]

ACCOUNT_MODE_ALTERNATIVE = (
    "use the account-wide margin mode (POST /v5/account/set-margin-mode, ccxt set_margin_mode) "
    "plus per-symbol leverage (POST /v5/position/set-leverage, ccxt set_leverage)"
)

#: Categories for which Bybit serves switch-isolated, per account type.
#: https://bybit-exchange.github.io/docs/v5/acct-mode (UTA2.0 table: "no longer applicable")
SWITCH_ISOLATED_SERVED: dict[AccountType, frozenset[Category]] = {
    AccountType.CLASSIC: frozenset({Category.LINEAR, Category.INVERSE}),
    AccountType.UTA1: frozenset({Category.INVERSE}),
    AccountType.UTA2: frozenset(),
}

_LEVERAGE_PARAMS = ("leverage", "buyLeverage", "sellLeverage", "buy_leverage", "sell_leverage")
_FIXED_FIELDS = ("category", "symbol", "tradeMode")


def serves_switch_isolated(account_type: AccountType, category: Category | str) -> bool:
    """Whether Bybit serves ``switch-isolated`` for ``category`` on ``account_type``."""
    return category in SWITCH_ISOLATED_SERVED[account_type]


def format_leverage(value: Decimal) -> str:
    """Render a leverage as Bybit's decimal string, without float noise or trailing zeros.

    ``Decimal("10") -> "10"``, ``Decimal("2.5") -> "2.5"``, ``Decimal("12.340") -> "12.34"``.
    """
    text = format(value.normalize(), "f")
    return text


def _to_decimal(value: Any, *, symbol: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: {field}={value!r} is not a number; "
            "give a positive number such as 10 or '2.5'"
        )
    if isinstance(value, float) and not math.isfinite(value):
        number = Decimal("NaN")
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite():
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: {field}={value!r} is not a finite number; "
            "give a positive number such as 10 or '2.5'"
        )
    return number


@dataclass(frozen=True)
class SwitchRequest:
    """A validated switch-isolated request for one symbol.

    :param body: the request dict handed to ``privatePostV5PositionSwitchIsolated``.
    """

    symbol: str
    category: Category
    margin_mode: MarginMode
    leverage: Decimal
    body: dict[str, Any]


def _parse_margin_mode(margin_mode: Any, symbol: Any) -> MarginMode:
    if isinstance(margin_mode, str) and margin_mode in (m.value for m in MarginMode):
        return MarginMode(margin_mode)
    raise ccxt.BadRequest(
        f"switch_margin_mode() {symbol}: marginMode={margin_mode!r} is not supported; "
        "allowed: 'isolated' (tradeMode 1) or 'cross' (tradeMode 0)"
    )


def _market_category(exchange: Any, symbol: str) -> tuple[dict[str, Any], Category]:
    try:
        market: dict[str, Any] = exchange.market(symbol)
    except ccxt.BadSymbol:
        raise ccxt.BadSymbol(
            f"switch_margin_mode() {symbol!r} is not a market of {exchange.id}; "
            "give a unified symbol such as 'ETH/USDT:USDT'"
        ) from None
    if market.get("linear") and market.get("settle") == "USDT" and market.get("contract"):
        return market, Category.LINEAR
    if market.get("inverse") and market.get("contract"):
        return market, Category.INVERSE
    kind = "option" if market.get("option") else market.get("type") or "unknown"
    if market.get("linear") and market.get("contract"):
        kind = f"{market.get('settle')}-settled linear"
    raise ccxt.NotSupported(
        f"switch_margin_mode() {symbol} is a {kind} market; switch-isolated serves only "
        "USDT-settled linear and inverse contracts"
    )


def _leverage_from_params(params: dict[str, Any], symbol: str) -> Decimal:
    if params.get("leverage") is not None:
        return _to_decimal(params["leverage"], symbol=symbol, field="leverage")
    buy = params.get("buyLeverage", params.get("buy_leverage"))
    sell = params.get("sellLeverage", params.get("sell_leverage"))
    if buy is None and sell is None:
        raise ccxt.ArgumentsRequired(
            f"switch_margin_mode() {symbol}: a leverage is required; pass params "
            "{'leverage': x} or equal {'buyLeverage': x, 'sellLeverage': x}"
        )
    if buy is None or sell is None:
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: buyLeverage={buy!r} and sellLeverage={sell!r}; "
            "both must be given and equal"
        )
    buy_number = _to_decimal(buy, symbol=symbol, field="buyLeverage")
    sell_number = _to_decimal(sell, symbol=symbol, field="sellLeverage")
    if buy_number != sell_number:
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: buyLeverage={buy!r} differs from "
            f"sellLeverage={sell!r}; Bybit requires them equal"
        )
    return buy_number


def _check_leverage_filter(market: dict[str, Any], symbol: str, leverage: Decimal) -> None:
    limits = (market.get("limits") or {}).get("leverage") or {}
    info_filter = (market.get("info") or {}).get("leverageFilter") or {}
    low = Decimal(str(limits.get("min") or info_filter.get("minLeverage") or "1"))
    high_raw = limits.get("max") or info_filter.get("maxLeverage")
    high = Decimal(str(high_raw)) if high_raw is not None else None
    step_raw = info_filter.get("leverageStep")
    step = Decimal(str(step_raw)) if step_raw else None
    allowed = f"{format_leverage(low)}..{format_leverage(high) if high else 'max'}"
    if step:
        allowed += f" in steps of {format_leverage(step)}"
    if leverage <= 0 or leverage < low or (high is not None and leverage > high):
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: leverage {format_leverage(leverage)} is out of "
            f"range; allowed: {allowed}"
        )
    if step and (leverage - low) % step != 0:
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: leverage {format_leverage(leverage)} is not on "
            f"the leverage step; allowed: {allowed}"
        )


def build_switch_request(
    exchange: Any, margin_mode: Any, symbol: Any, params: dict[str, Any] | None = None
) -> SwitchRequest:
    """Validate the arguments and build the request body. Pure: sends nothing.

    Markets must be loaded. Raises ``BadRequest``, ``ArgumentsRequired``, ``BadSymbol`` or
    ``NotSupported``; every message names the symbol, the value and what is allowed.
    """
    mode = _parse_margin_mode(margin_mode, symbol)
    if not isinstance(symbol, str) or not symbol:
        raise ccxt.ArgumentsRequired(
            f"switch_margin_mode() requires a symbol such as 'ETH/USDT:USDT', got {symbol!r}"
        )
    extra = dict(params or {})
    fixed = [key for key in _FIXED_FIELDS if key in extra]
    if fixed:
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: params {fixed} are set from the arguments "
            "(margin mode and symbol); remove them from params"
        )
    market, category = _market_category(exchange, symbol)
    leverage = _leverage_from_params(extra, symbol)
    _check_leverage_filter(market, symbol, leverage)
    for key in _LEVERAGE_PARAMS:
        extra.pop(key, None)
    text = format_leverage(leverage)
    body = {
        "category": category.value,
        "symbol": market["id"],
        "tradeMode": int(mode.trade_mode),
        "buyLeverage": text,
        "sellLeverage": text,
        **extra,
    }
    return SwitchRequest(symbol, category, mode, leverage, body)


def account_type_of(options: dict[str, Any]) -> AccountType:
    """Account type from ccxt's cached probe (``is_unified_enabled`` fills ``options``)."""
    unified = options.get("enableUnifiedMargin") or options.get("enableUnifiedAccount")
    if not unified:
        return AccountType.CLASSIC
    return AccountType.from_status(int(options.get("unifiedMarginStatus") or 6))


def _not_served(account_type: AccountType, request: SwitchRequest) -> ccxt.NotSupported:
    return ccxt.NotSupported(
        f"switch_margin_mode() {request.symbol}: Bybit does not serve switch-isolated for "
        f"{request.category.value} contracts on a {account_type.label} account; "
        f"{ACCOUNT_MODE_ALTERNATIVE}"
    )


def _check_account(exchange: Any, request: SwitchRequest) -> None:
    account_type = account_type_of(exchange.options)
    if not serves_switch_isolated(account_type, request.category):
        raise _not_served(account_type, request)


def bybit_ret_code(error: BaseException) -> int | None:
    """The Bybit ``retCode`` carried by a ccxt exception raised from ``handle_errors``.

    ccxt formats such messages as ``"bybit " + body``; several codes share one ccxt class
    (10001 and 110043 are both ``BadRequest``), so the code is the only exact discriminator.
    """
    body = error_body(error)
    code = body.get("retCode", body.get("ret_code")) if body else None
    try:
        return int(code) if code is not None else None
    except (TypeError, ValueError):
        return None


def error_body(error: BaseException) -> dict[str, Any] | None:
    """The JSON body inside a ccxt exception message, or None."""
    text = str(error)
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _result(request: SwitchRequest, info: Any, changed: bool) -> dict[str, Any]:
    leverage = float(request.leverage)
    return {
        "info": info,
        "symbol": request.symbol,
        "marginMode": request.margin_mode.value,
        "longLeverage": leverage,
        "shortLeverage": leverage,
        "changed": changed,
    }


def _on_error(error: ccxt.BaseError, request: SwitchRequest, exchange: Any) -> dict[str, Any]:
    code = bybit_ret_code(error)
    if code == RetCode.MARGIN_MODE_NOT_MODIFIED:
        return _result(request, error_body(error), changed=False)
    if code == RetCode.UNIFIED_ACCOUNT_FORBIDDEN:
        raise _not_served(account_type_of(exchange.options), request) from error
    raise error


def switch_margin_mode(
    exchange: Any, margin_mode: str, symbol: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """
    Set the margin mode and leverage of one symbol (sync ccxt.bybit).

    https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate

    :param exchange: a ``ccxt.bybit`` instance with credentials
    :param margin_mode: ``"isolated"`` (tradeMode 1) or ``"cross"`` (tradeMode 0)
    :param symbol: unified symbol, e.g. ``"ETH/USDT:USDT"``
    :param params: ``leverage``, or equal ``buyLeverage`` + ``sellLeverage``; other keys are
        passed through to the request
    :return: ``{"info", "symbol", "marginMode", "longLeverage", "shortLeverage", "changed"}``;
        ``changed`` is False when Bybit answered 110026 (already in that mode)
    """
    if not exchange.markets:
        _parse_margin_mode(margin_mode, symbol)
        exchange.load_markets()
    request = build_switch_request(exchange, margin_mode, symbol, params)
    exchange.is_unified_enabled()
    _check_account(exchange, request)
    try:
        response = exchange.privatePostV5PositionSwitchIsolated(request.body)
    except ccxt.BaseError as error:
        return _on_error(error, request, exchange)
    return _result(request, response, changed=True)


async def switch_margin_mode_async(
    exchange: Any, margin_mode: str, symbol: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Awaitable twin of :func:`switch_margin_mode` for ``ccxt.async_support.bybit``."""
    if not exchange.markets:
        _parse_margin_mode(margin_mode, symbol)
        await exchange.load_markets()
    request = build_switch_request(exchange, margin_mode, symbol, params)
    await exchange.is_unified_enabled()
    _check_account(exchange, request)
    try:
        response = await exchange.privatePostV5PositionSwitchIsolated(request.body)
    except ccxt.BaseError as error:
        return _on_error(error, request, exchange)
    return _result(request, response, changed=True)


def install(exchange: Any) -> Any:
    """Add ``switch_margin_mode`` / ``switchMarginMode`` to one bybit instance; return it.

    Idempotent. Works for ``ccxt.bybit`` (sync method) and ``ccxt.async_support.bybit`` /
    ``ccxt.pro.bybit`` (awaitable method). Nothing global is patched.

    :raises TypeError: for any other exchange
    """
    # An async instance implies ccxt.async_support was imported; importing it here would pull
    # aiohttp into every user of the package.
    async_support = sys.modules.get("ccxt.async_support")
    if async_support is not None and isinstance(exchange, async_support.bybit):
        method: Any = MethodType(switch_margin_mode_async, exchange)
    elif isinstance(exchange, ccxt.bybit):
        method = MethodType(switch_margin_mode, exchange)
    else:
        raise TypeError(
            f"install() expects a ccxt bybit instance (sync or async), got {type(exchange)!r}"
        )
    exchange.switch_margin_mode = method
    exchange.switchMarginMode = method
    return exchange
