"""
ccxt extension ``switch_margin_mode``: Bybit V5 ``POST /v5/position/switch-isolated``.

Sets the margin mode (cross / isolated) and the leverage of ONE symbol in one signed request,
through ccxt's own implicit endpoint ``privatePostV5PositionSwitchIsolated``, so signing, rate
limiting and error mapping stay ccxt's. Bybit serves this endpoint only on Classic accounts
(linear + inverse) and UTA1.0 (inverse); it is deprecated ("abandon") since 2025-11-17.

https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import MethodType
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.account import account_type, account_type_async
from freqtrade_bybit_margin.client.answers import require_ok, ret_code_of
from freqtrade_bybit_margin.client.ladder import Ladder, Step, Written, climb, climb_async, ladder
from freqtrade_bybit_margin.constants import AccountType, Endpoint, RetCode
from freqtrade_bybit_margin.markets import (
    Contract,
    contract_of,
    finite_decimal,
    format_leverage,
    leverage_filter,
    serves_switch_isolated,
)
from freqtrade_bybit_margin.model import MarginMode


__all__ = [
    "SwitchRequest",
    "build_switch_request",
    "install",
    "switch_margin_mode",
    "switch_margin_mode_async",
]

ACCOUNT_MODE_ALTERNATIVE = (
    "use the account-wide margin mode (POST /v5/account/set-margin-mode, ccxt set_margin_mode) "
    "plus per-symbol leverage (POST /v5/position/set-leverage, ccxt set_leverage)"
)

_LEVERAGE_PARAMS = ("leverage", "buyLeverage", "sellLeverage", "buy_leverage", "sell_leverage")
_FIXED_FIELDS = ("category", "symbol", "tradeMode")
#: ccxt's implicit endpoint per ladder step (ccxt signs, throttles and maps the errors).
_IMPLICIT = {
    Endpoint.SWITCH_ISOLATED: "privatePostV5PositionSwitchIsolated",
    Endpoint.SET_LEVERAGE: "privatePostV5PositionSetLeverage",
}


def _to_decimal(value: Any, *, symbol: str, field: str) -> Decimal:
    number = finite_decimal(value)
    if number is None:
        numeric = isinstance(value, int | float | str | Decimal) and not isinstance(value, bool)
        what = "a finite number" if numeric else "a number"
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: {field}={value!r} is not {what}; "
            "give a positive number such as 10 or '2.5'"
        )
    return number


@dataclass(frozen=True)
class SwitchRequest:
    """A validated ``switch_margin_mode`` call for one symbol.

    :param symbol: the unified symbol (``ETH/USDT:USDT``)
    :param extra: params passed through into the switch-isolated body
    """

    symbol: str
    contract: Contract
    margin_mode: MarginMode
    leverage: Decimal
    extra: dict[str, Any]

    def steps(self) -> Ladder:
        """The write ladder for this call (switch-isolated first)."""
        return ladder(self.contract, self.margin_mode, self.leverage, switch=True, extra=self.extra)


def _parse_margin_mode(margin_mode: Any, symbol: Any) -> MarginMode:
    if isinstance(margin_mode, str) and margin_mode in (m.value for m in MarginMode):
        return MarginMode(margin_mode)
    raise ccxt.BadRequest(
        f"switch_margin_mode() {symbol}: marginMode={margin_mode!r} is not supported; "
        "allowed: 'isolated' (tradeMode 1) or 'cross' (tradeMode 0)"
    )


def _contract(exchange: Any, symbol: str) -> tuple[dict[str, Any], Contract]:
    try:
        market: dict[str, Any] = exchange.market(symbol)
    except ccxt.BadSymbol:
        raise ccxt.BadSymbol(
            f"switch_margin_mode() {symbol!r} is not a market of {exchange.id}; "
            "give a unified symbol such as 'ETH/USDT:USDT'"
        ) from None
    try:
        return market, contract_of(market)
    except ccxt.NotSupported as error:
        raise ccxt.NotSupported(f"switch_margin_mode() {error}") from None


def _leverage_from_params(params: dict[str, Any], symbol: str) -> Decimal:
    buy = params.get("buyLeverage", params.get("buy_leverage"))
    sell = params.get("sellLeverage", params.get("sell_leverage"))
    if params.get("leverage") is not None:
        leverage = _to_decimal(params["leverage"], symbol=symbol, field="leverage")
        for field, value in (("buyLeverage", buy), ("sellLeverage", sell)):
            if value is not None and _to_decimal(value, symbol=symbol, field=field) != leverage:
                raise ccxt.BadRequest(
                    f"switch_margin_mode() {symbol}: leverage={params['leverage']!r} "
                    f"contradicts {field}={value!r}; give one of them, or equal values"
                )
        return leverage
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
    if buy_number != _to_decimal(sell, symbol=symbol, field="sellLeverage"):
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: buyLeverage={buy!r} differs from "
            f"sellLeverage={sell!r}; Bybit requires them equal"
        )
    return buy_number


def build_switch_request(
    exchange: Any, margin_mode: Any, symbol: Any, params: dict[str, Any] | None = None
) -> SwitchRequest:
    """
    Validate the arguments into a request. Pure: sends nothing.

    Markets must be loaded. Every message names the symbol, the value and what is allowed.
    :raise ccxt.BadRequest: bad margin mode, leverage, or params that the arguments set
    :raise ccxt.ArgumentsRequired: no symbol or no leverage
    :raise ccxt.BadSymbol: not a market of the exchange
    :raise ccxt.NotSupported: not a linear or inverse contract
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
    market, contract = _contract(exchange, symbol)
    leverage = _leverage_from_params(extra, symbol)
    limits = leverage_filter(market)
    problem = limits.problem(leverage)
    if problem is not None:
        raise ccxt.BadRequest(
            f"switch_margin_mode() {symbol}: leverage {format_leverage(leverage)} {problem}; "
            f"allowed: {limits.allowed}"
        )
    for key in _LEVERAGE_PARAMS:
        extra.pop(key, None)
    return SwitchRequest(str(market["symbol"]), contract, mode, leverage, extra)


def _not_served(account: AccountType, request: SwitchRequest) -> ccxt.NotSupported:
    contract = request.contract
    return ccxt.NotSupported(
        f"switch_margin_mode() {request.symbol}: Bybit does not serve switch-isolated for "
        f"{contract.settle}-settled {contract.category.value} contracts on a "
        f"{account.label} account; {ACCOUNT_MODE_ALTERNATIVE}"
    )


def _check_account(account: AccountType, request: SwitchRequest) -> None:
    if not serves_switch_isolated(account, request.contract):
        raise _not_served(account, request)


def _result(request: SwitchRequest, written: Written) -> dict[str, Any]:
    leverage = float(request.leverage)
    return {
        "info": written.info,
        "symbol": request.symbol,
        "marginMode": request.margin_mode.value,
        "longLeverage": leverage,
        "shortLeverage": leverage,
        "changed": written.changed,
        "marginModeChanged": written.mode_changed,
        "leverageChanged": written.leverage_changed,
    }


def _sender(exchange: Any, account: AccountType, request: SwitchRequest) -> Callable[[Step], Any]:
    """Sends one step through ccxt's implicit endpoint; only a parsed envelope counts."""

    def send(step: Step) -> Any:
        with _refusals(account, request):
            response = getattr(exchange, _IMPLICIT[step.endpoint])(step.body)
        return _parsed(response, step, request)

    return send


def _async_sender(
    exchange: Any, account: AccountType, request: SwitchRequest
) -> Callable[[Step], Awaitable[Any]]:
    """Awaitable twin of :func:`_sender`."""

    async def send(step: Step) -> Any:
        with _refusals(account, request):
            response = await getattr(exchange, _IMPLICIT[step.endpoint])(step.body)
        return _parsed(response, step, request)

    return send


def _parsed(response: Any, step: Step, request: SwitchRequest) -> Any:
    return require_ok(response, f"POST {step.endpoint.value} {request.contract.market_id}")


@contextlib.contextmanager
def _refusals(account: AccountType, request: SwitchRequest) -> Iterator[None]:
    """Bybit's 100028 ("unified account is forbidden") as NotSupported; anything else as is."""
    try:
        yield
    except ccxt.BaseError as error:
        if ret_code_of(error) != RetCode.UNIFIED_ACCOUNT_FORBIDDEN:
            raise
        raise _not_served(account, request) from error


def switch_margin_mode(
    exchange: Any, margin_mode: str, symbol: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """
    Set the margin mode and leverage of one symbol (sync ``ccxt.bybit``).

    https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate

    When the mode already holds Bybit answers 110026 and changes nothing, the leverage included
    (ccxt issue 13046); the leverage is then set with ``POST /v5/position/set-leverage`` (110043
    when it already holds too), so on return the symbol IS at the mode and leverage asked for.
    Only a parsed envelope with retCode 0 (or 110026 / 110043) counts: anything else raises.

    :param str margin_mode: ``"isolated"`` (tradeMode 1) or ``"cross"`` (tradeMode 0)
    :param str symbol: unified symbol, e.g. ``"ETH/USDT:USDT"``
    :param dict [params]: extra parameters specific to the exchange API endpoint
    :param str|float [params.leverage]: the leverage; or equal ``buyLeverage`` + ``sellLeverage``;
        other keys are passed through to the request
    :returns dict: the Leverage structure (``info``, unified ``symbol``, ``marginMode``,
        ``longLeverage``, ``shortLeverage``) plus ``changed`` (anything changed),
        ``marginModeChanged`` and ``leverageChanged``
    :raise ccxt.BadResponse: Bybit's answer could not be parsed (not confirmed; worth a retry)
    """
    if not exchange.markets:
        _parse_margin_mode(margin_mode, symbol)
        exchange.load_markets()
    request = build_switch_request(exchange, margin_mode, symbol, params)
    account = account_type(exchange)
    _check_account(account, request)
    return _result(request, climb(request.steps(), _sender(exchange, account, request)))


async def switch_margin_mode_async(
    exchange: Any, margin_mode: str, symbol: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Awaitable twin of :func:`switch_margin_mode` for ``ccxt.async_support.bybit``."""
    if not exchange.markets:
        _parse_margin_mode(margin_mode, symbol)
        await exchange.load_markets()
    request = build_switch_request(exchange, margin_mode, symbol, params)
    account = await account_type_async(exchange)
    _check_account(account, request)
    steps = request.steps()
    return _result(request, await climb_async(steps, _async_sender(exchange, account, request)))


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
