"""
Wire layer: one handler per endpoint turning parsed parameters into backend calls, plus the
central rendering of Bybit's envelope ``{retCode, retMsg, result, retExtInfo, time}``.

Handlers hold no state. https://bybit-exchange.github.io/docs/v5/intro
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.backend import AccountBackend
from freqtrade_bybit_margin.simulator.exceptions import ParamsError, SimulatorApiError
from freqtrade_bybit_margin.simulator.market_data import (
    INTERVAL_MINUTES,
    funding_history,
    risk_tiers,
)
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
from freqtrade_bybit_margin.simulator.rules import ACCOUNT_MARGIN_MODES


DERIVATIVES = (Category.LINEAR.value, Category.INVERSE.value)
ALL_CATEGORIES = tuple(c.value for c in Category)


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


# ------------------------------------------------------------------ market (public)


def server_time(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/market/time"""
    now = backend.clock()
    return Reply({"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})


def instruments_info(backend: AccountBackend, req: SimRequest) -> Reply:
    """Cursor-paged instruments (``limit`` default 500, max 1000; spot unpaged; PreLaunch empty).

    https://bybit-exchange.github.io/docs/v5/market/instrument
    """
    p = req.params
    category = choice(p, "category", ALL_CATEGORIES)
    symbol, base = opt_str(p, "symbol"), opt_str(p, "baseCoin")
    status = opt_str(p, "status") or "Trading"
    limit = opt_int(p, "limit", default=500, lo=1, hi=1000)
    rows = [
        i.to_row()
        for i in backend.catalogue.in_category(category)
        if i.status == status and symbol in (None, i.symbol) and base in (None, i.base)
    ]
    if category == Category.SPOT:
        return Reply({"category": category, "list": rows, "nextPageCursor": ""})
    page, nxt = paginate(rows, limit=limit, cursor=opt_str(p, "cursor"))
    return Reply({"category": category, "list": page, "nextPageCursor": nxt})


def tickers(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/market/tickers"""
    category = choice(req.params, "category", ALL_CATEGORIES)
    symbol = opt_str(req.params, "symbol")
    now = backend.clock()
    rows = [
        backend.prices.ticker(i, now)
        for i in backend.catalogue.in_category(category)
        if symbol in (None, i.symbol)
    ]
    if symbol and not rows:
        raise ParamsError("params error: symbol invalid")
    return Reply({"category": category, "list": rows})


def orderbook(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/market/orderbook"""
    p = req.params
    category = choice(p, "category", ALL_CATEGORIES)
    inst = backend.catalogue.instrument(category, req_str(p, "symbol"))
    spot = category == Category.SPOT
    depth = opt_int(p, "limit", default=1 if spot else 25, lo=1, hi=200 if spot else 500)
    return Reply(backend.prices.orderbook(inst, backend.clock(), depth))


def _kline(backend: AccountBackend, req: SimRequest, *, volume: bool) -> Reply:
    p = req.params
    category = choice(p, "category", ALL_CATEGORIES if volume else DERIVATIVES)
    inst = backend.catalogue.instrument(category, req_str(p, "symbol"))
    interval = choice(p, "interval", tuple(INTERVAL_MINUTES))
    rows = backend.prices.klines(
        inst,
        interval,
        backend.clock(),
        start=opt_time(p, "start"),
        end=opt_time(p, "end"),
        limit=opt_int(p, "limit", default=200, lo=1, hi=1000),
        with_volume=volume,
    )
    return Reply({"category": category, "symbol": inst.symbol, "list": rows})


def kline(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/market/kline"""
    return _kline(backend, req, volume=True)


def price_kline(backend: AccountBackend, req: SimRequest) -> Reply:
    """Mark/index price klines (``[start, o, h, l, c]``).

    https://bybit-exchange.github.io/docs/v5/market/mark-kline
    """
    return _kline(backend, req, volume=False)


def funding(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/market/history-fund-rate"""
    p = req.params
    category = choice(p, "category", DERIVATIVES)
    inst = backend.catalogue.instrument(category, req_str(p, "symbol"))
    rows = funding_history(
        inst,
        backend.clock(),
        start=opt_time(p, "startTime"),
        end=opt_time(p, "endTime"),
        limit=opt_int(p, "limit", default=200, lo=1, hi=200),
    )
    return Reply({"category": category, "list": rows})


def risk_limit(backend: AccountBackend, req: SimRequest) -> Reply:
    """Cursor-paged risk-limit tiers (page size: ``SimKnobs.risk_limit_page_size``).

    https://bybit-exchange.github.io/docs/v5/market/risk-limit
    """
    p = req.params
    category = choice(p, "category", DERIVATIVES)
    symbol = opt_str(p, "symbol")
    rows = [
        tier
        for i in backend.catalogue.in_category(category)
        if symbol in (None, i.symbol)
        for tier in risk_tiers(i)
    ]
    size = backend.knobs.risk_limit_page_size
    page, nxt = paginate(rows, limit=size, cursor=opt_str(p, "cursor"))
    return Reply({"category": category, "list": page, "nextPageCursor": nxt})


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
    """https://bybit-exchange.github.io/docs/v5/position/position-mode"""
    p = req.params
    choice(p, "category", DERIVATIVES)
    if not (opt_str(p, "symbol") or opt_str(p, "coin")):
        raise ParamsError("params error: symbol or coin is required")
    return Reply(backend.switch_position_mode(mode=req_json_int(p, "mode", (0, 3))))


# ------------------------------------------------------------------ account


def account_info(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/account/account-info"""
    return Reply(backend.account_info())


def query_api(backend: AccountBackend, req: SimRequest) -> Reply:
    """https://bybit-exchange.github.io/docs/v5/user/apikey-info"""
    return Reply(backend.query_api(req.api_key or "", req.uid or 0))


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
    category = choice(p, "category", DERIVATIVES)
    rows = backend.position_rows(
        category=category, symbol=opt_str(p, "symbol"), settle_coin=opt_str(p, "settleCoin")
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


def order_create(backend: AccountBackend, req: SimRequest) -> Reply:
    """``positionIdx`` (or freqtrade's ``position_idx``) must be 0: one-way mode.

    https://bybit-exchange.github.io/docs/v5/order/create-order
    """
    p = req.params
    order_type = choice(p, "orderType", ("Limit", "Market"))
    for name in ("positionIdx", "position_idx"):
        if name in p and p[name] not in (0, "0"):
            raise ParamsError("params error: position idx not match position mode")
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
