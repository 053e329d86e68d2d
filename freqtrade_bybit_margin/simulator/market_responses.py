"""
Wire layer of the public market-data endpoints (no authentication, no per-UID limit; the IP
limit counts them). Same shape as :mod:`.responses`: parse, call, return a :class:`Reply`.

https://bybit-exchange.github.io/docs/v5/market/time and the other ``/v5/market`` pages.
"""

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.backend import AccountBackend
from freqtrade_bybit_margin.simulator.exceptions import ParamsError
from freqtrade_bybit_margin.simulator.market_data import INTERVAL_MINUTES, funding_history
from freqtrade_bybit_margin.simulator.params import (
    choice,
    opt_int,
    opt_str,
    opt_time,
    paginate,
    req_str,
)
from freqtrade_bybit_margin.simulator.responses import (
    ALL_CATEGORIES,
    DERIVATIVES,
    Reply,
    SimRequest,
)
from freqtrade_bybit_margin.simulator.risklimits import risk_limit_result


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
    """Risk-limit tiers, paged by symbol (see :func:`~.risklimits.risk_limit_result`).

    https://bybit-exchange.github.io/docs/v5/market/risk-limit
    """
    p = req.params
    result = risk_limit_result(
        backend.catalogue,
        backend.knobs,
        category=choice(p, "category", DERIVATIVES),
        symbol=opt_str(p, "symbol"),
        cursor=opt_str(p, "cursor"),
    )
    return Reply(result)
