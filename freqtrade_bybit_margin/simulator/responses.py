"""
Wire layer: one handler per private endpoint turning parsed parameters into backend calls,
plus the central rendering of Bybit's envelope ``{retCode, retMsg, result, retExtInfo, time}``
(public market data: :mod:`.market_responses`).

Handlers hold no state. https://bybit-exchange.github.io/docs/v5/intro
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.backend import AccountBackend
from freqtrade_bybit_margin.simulator.exceptions import ParamsError, SimulatorApiError
from freqtrade_bybit_margin.simulator.params import (
    choice,
    opt_bool,
    opt_decimal,
    opt_int,
    opt_str,
    opt_time,
    paginate,
    req_decimal,
    req_json_int,
    req_str,
)
from freqtrade_bybit_margin.simulator.positionmode import MODES
from freqtrade_bybit_margin.simulator.rules import ACCOUNT_MARGIN_MODES


DERIVATIVES = (Category.LINEAR.value, Category.INVERSE.value)
ALL_CATEGORIES = tuple(c.value for c in Category)
#: categories of ``/v5/position/list`` (https://bybit-exchange.github.io/docs/v5/position)
POSITION_CATEGORIES = (*DERIVATIVES, Category.OPTION.value)


@dataclass(frozen=True)
class SimRequest:
    """A parsed request: query (GET) or JSON body (POST) as ``params``, and who signed it."""

    method: str
    path: str
    params: dict[str, Any]
    api_key: str | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Reply:
    """What a handler returns: the ``result`` object and the ``retMsg``."""

    result: dict[str, Any] = field(default_factory=dict)
    ret_msg: str = "OK"


Handler = Callable[[AccountBackend, SimRequest], Reply]


def envelope(ret_code: int, ret_msg: str, result: dict[str, Any], now_ms: int) -> bytes:
    """Bybit's reply envelope as JSON bytes."""
    body = {
        "retCode": ret_code,
        "retMsg": ret_msg,
        "result": result,
        "retExtInfo": {},
        "time": now_ms,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def render_error(exc: SimulatorApiError, now_ms: int) -> bytes:
    """Render any :class:`SimulatorApiError` (central, moto style)."""
    return envelope(exc.code, exc.message, exc.result, now_ms)


# ------------------------------------------------------------------ margin & leverage


def switch_isolated(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate"""
    p = req.params
    return Reply(
        backend.switch_isolated(
            category=req_str(p, "category"),
            symbol=req_str(p, "symbol"),
            trade_mode=req_json_int(p, "tradeMode", (0, 1)),
            buy_leverage=req_decimal(p, "buyLeverage"),
            sell_leverage=req_decimal(p, "sellLeverage"),
        )
    )


def set_leverage(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/position/leverage"""
    p = req.params
    return Reply(
        backend.set_leverage(
            category=req_str(p, "category"),
            symbol=req_str(p, "symbol"),
            buy_leverage=req_decimal(p, "buyLeverage"),
            sell_leverage=req_decimal(p, "sellLeverage"),
        )
    )


def set_margin_mode(backend: AccountBackend, req: SimRequest) -> Reply:
    """Stray params (freqtrade's ``"leverage": 3.0``) are tolerated.

    https://bybit-exchange.github.io/docs/v5/account/set-margin-mode
    """
    mode = choice(req.params, "setMarginMode", tuple(sorted(ACCOUNT_MARGIN_MODES)))
    return Reply(backend.set_margin_mode(mode=mode), "Request accepted")


def switch_mode(backend: AccountBackend, req: SimRequest) -> Reply:
    """``symbol`` has priority over ``coin``; ``mode`` 0 one-way, 3 hedge.

    https://bybit-exchange.github.io/docs/v5/position/position-mode
    """
    p = req.params
    category = choice(p, "category", DERIVATIVES)
    symbol, coin = opt_str(p, "symbol"), opt_str(p, "coin")
    if not (symbol or coin):
        raise ParamsError("params error: symbol or coin is required")
    mode = req_json_int(p, "mode", MODES)
    return Reply(
        backend.switch_position_mode(category=category, symbol=symbol, coin=coin, mode=mode)
    )


# ------------------------------------------------------------------ account


def account_info(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/account/account-info"""
    return Reply(backend.account_info())


def query_api(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/user/apikey-info"""
    return Reply(backend.query_api(req.api_key or ""))


def wallet_balance(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/account/wallet-balance"""
    p = req.params
    return Reply(
        backend.wallet_balance(account_type=req_str(p, "accountType"), coin=opt_str(p, "coin"))
    )


def coin_info(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/asset/coin-info"""
    return Reply(backend.coin_info(coin=opt_str(req.params, "coin")))


# ------------------------------------------------------------------ positions


def position_list(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/position"""
    p = req.params
    category = choice(p, "category", POSITION_CATEGORIES)
    rows = backend.position_rows(
        category=category,
        symbol=opt_str(p, "symbol"),
        settle_coin=opt_str(p, "settleCoin"),
        base_coin=opt_str(p, "baseCoin"),
    )
    limit = opt_int(p, "limit", default=20, lo=1, hi=200)
    page, nxt = paginate(rows, limit=limit, cursor=opt_str(p, "cursor"))
    return Reply({"category": category, "list": page, "nextPageCursor": nxt})


def symbol_info(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/position/batch-lvg"""
    p = req.params
    category = choice(p, "category", DERIVATIVES)
    rows = backend.symbol_info(category=category, symbol=opt_str(p, "symbol"))
    return Reply({"category": category, "list": rows})


# ------------------------------------------------------------------ orders


def position_idx(params: dict[str, Any]) -> int:
    """The effective ``positionIdx`` of an order: the body's ``positionIdx``, else 0.

    freqtrade sends snake_case ``"position_idx": 0`` (freqtrade-live-path.md §4), which Bybit
    ignores as an unknown parameter; so does the simulator.

    :raise ParamsError: 10001 for a value other than 0, 1, 2
    """
    value = params.get("positionIdx", 0)
    if isinstance(value, bool) or value not in (0, 1, 2, "0", "1", "2"):
        raise ParamsError(f"params error: positionIdx {value!r} must be 0, 1 or 2")
    return int(value)


def order_create(backend: AccountBackend, req: SimRequest) -> Reply:
    """``positionIdx`` must match the symbol's position mode (one-way 0, hedge 1 / 2).

    https://bybit-exchange.github.io/docs/v5/order/create-order
    """
    p = req.params
    order_type = choice(p, "orderType", ("Limit", "Market"))
    default_tif = "GTC" if order_type == "Limit" else "IOC"
    tif = opt_str(p, "timeInForce") or default_tif
    if tif not in ("GTC", "IOC", "FOK", "PostOnly"):
        raise ParamsError("params error: timeInForce invalid")
    return Reply(
        backend.create_order(
            category=req_str(p, "category"),
            symbol=req_str(p, "symbol"),
            side=choice(p, "side", ("Buy", "Sell")),
            order_type=order_type,
            qty=req_decimal(p, "qty"),
            price=opt_decimal(p, "price") if order_type == "Limit" else None,
            time_in_force=tif,
            reduce_only=opt_bool(p, "reduceOnly"),
            order_link_id=opt_str(p, "orderLinkId") or "",
            position_idx=position_idx(p),
        )
    )


def order_cancel(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/order/cancel-order"""
    p = req.params
    order_id, link_id = opt_str(p, "orderId"), opt_str(p, "orderLinkId")
    if not (order_id or link_id):
        raise ParamsError("params error: orderId or orderLinkId is required")
    return Reply(
        backend.cancel_order(
            category=req_str(p, "category"),
            symbol=req_str(p, "symbol"),
            order_id=order_id,
            link_id=link_id,
        )
    )


def order_cancel_all(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/order/cancel-all"""
    p = req.params
    return Reply(
        backend.book.cancel_all(
            category=choice(p, "category", DERIVATIVES),
            symbol=opt_str(p, "symbol"),
            settle_coin=opt_str(p, "settleCoin"),
        )
    )


def _orders(backend: AccountBackend, req: SimRequest, *, open_only: bool) -> Reply:
    p = req.params
    category = choice(p, "category", DERIVATIVES)
    symbol, settle = opt_str(p, "symbol"), opt_str(p, "settleCoin")
    order_id, link_id = opt_str(p, "orderId"), opt_str(p, "orderLinkId")
    if (
        open_only
        and category == Category.LINEAR
        and not (symbol or settle or opt_str(p, "baseCoin"))
    ):
        raise ParamsError("params error: symbol, baseCoin or settleCoin is required for linear")
    rows = backend.book.order_rows(
        category=category,
        symbol=symbol,
        settle_coin=settle,
        order_id=order_id,
        link_id=link_id,
        open_only=open_only and opt_str(p, "openOnly") in (None, "0"),
    )
    status = opt_str(p, "orderStatus")
    if status:
        rows = [r for r in rows if r["orderStatus"] == status]
    limit = opt_int(p, "limit", default=20, lo=1, hi=50)
    page, nxt = paginate(rows, limit=limit, cursor=opt_str(p, "cursor"))
    return Reply({"category": category, "list": page, "nextPageCursor": nxt})


def order_realtime(backend: AccountBackend, req: SimRequest) -> Reply:
    """Open orders; by ``orderId``/``orderLinkId`` also filled and cancelled ones.

    https://bybit-exchange.github.io/docs/v5/order/open-order
    """
    return _orders(backend, req, open_only=True)


def order_history(backend: AccountBackend, req: SimRequest) -> Reply:
    """All orders (``acknowledged=true`` from freqtrade is tolerated).

    https://bybit-exchange.github.io/docs/v5/order/order-list
    """
    return _orders(backend, req, open_only=False)


def execution_list(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/order/execution"""
    p = req.params
    category = choice(p, "category", DERIVATIVES)
    rows = backend.book.execution_rows(
        category=category,
        symbol=opt_str(p, "symbol"),
        order_id=opt_str(p, "orderId"),
        start=opt_time(p, "startTime"),
        end=opt_time(p, "endTime"),
        exec_type=opt_str(p, "execType"),
    )
    limit = opt_int(p, "limit", default=50, lo=1, hi=100)
    page, nxt = paginate(rows, limit=limit, cursor=opt_str(p, "cursor"))
    return Reply({"category": category, "list": page, "nextPageCursor": nxt})
