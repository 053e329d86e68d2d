"""
Route tables (data only): the V5 endpoints (method, handler, the parameter that selects the
rate-limit bucket), the control plane under ``/_sim/``, the private-path rule, the Bybit hosts
the requests-mock transport answers, and :func:`ccxt_urls` to point a client at a simulator.
"""

import re
from typing import NamedTuple

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import control as c
from freqtrade_bybit_margin.simulator import market_responses as m
from freqtrade_bybit_margin.simulator import responses as r


class Route(NamedTuple):
    """An endpoint: its HTTP method, handler, and the parameter whose value selects the
    rate-limit bucket (``None``: one limit for the endpoint)."""

    method: str
    handler: r.Handler
    limit_by: str | None = None


CAT = "category"

ROUTES: dict[str, Route] = {
    # public market data
    Endpoint.SERVER_TIME: Route("GET", m.server_time),
    Endpoint.INSTRUMENTS_INFO: Route("GET", m.instruments_info),
    Endpoint.TICKERS: Route("GET", m.tickers),
    Endpoint.ORDERBOOK: Route("GET", m.orderbook),
    Endpoint.KLINE: Route("GET", m.kline),
    Endpoint.MARK_PRICE_KLINE: Route("GET", m.price_kline),
    Endpoint.INDEX_PRICE_KLINE: Route("GET", m.price_kline),
    Endpoint.FUNDING_HISTORY: Route("GET", m.funding),
    Endpoint.RISK_LIMIT: Route("GET", m.risk_limit),
    # margin mode and leverage
    Endpoint.SWITCH_ISOLATED: Route("POST", r.switch_isolated, CAT),
    Endpoint.SET_LEVERAGE: Route("POST", r.set_leverage, CAT),
    Endpoint.SET_MARGIN_MODE: Route("POST", r.set_margin_mode),
    Endpoint.SWITCH_POSITION_MODE: Route("POST", r.switch_mode, CAT),
    # account and key
    Endpoint.ACCOUNT_INFO: Route("GET", r.account_info),
    Endpoint.QUERY_API: Route("GET", r.query_api),
    Endpoint.WALLET_BALANCE: Route("GET", r.wallet_balance, "accountType"),
    Endpoint.COIN_INFO: Route("GET", r.coin_info),
    # positions, orders, executions
    Endpoint.POSITION_LIST: Route("GET", r.position_list, CAT),
    Endpoint.POSITION_SYMBOL_INFO: Route("GET", r.symbol_info, CAT),
    Endpoint.ORDER_CREATE: Route("POST", r.order_create, CAT),
    Endpoint.ORDER_CANCEL: Route("POST", r.order_cancel, CAT),
    Endpoint.ORDER_CANCEL_ALL: Route("POST", r.order_cancel_all, CAT),
    Endpoint.ORDER_REALTIME: Route("GET", r.order_realtime, CAT),
    Endpoint.ORDER_HISTORY: Route("GET", r.order_history, CAT),
    Endpoint.EXECUTION_LIST: Route("GET", r.execution_list, CAT),
}

#: Control plane for server mode (``(method, path) -> handler``); cannot collide with ``/v5``.
CONTROL_PREFIX = "/_sim/"
CONTROL_ROUTES: dict[tuple[str, str], c.ControlHandler] = {
    ("GET", "/_sim/journal"): c.journal,
    ("GET", "/_sim/state"): c.state,
    ("POST", "/_sim/reset"): c.reset,
    ("POST", "/_sim/fault"): c.inject_fault,
    ("POST", "/_sim/faults/clear"): c.clear_faults,
    ("POST", "/_sim/budget"): c.spend_budget,
    ("POST", "/_sim/seed"): c.seed,
    ("POST", "/_sim/ban-ip"): c.ban_ip,
}

#: Paths under these prefixes need X-BAPI-* authentication (https://bybit-exchange.github.io/docs/v5/guide)
PRIVATE_PREFIXES: tuple[str, ...] = (
    "/v5/position/",
    "/v5/order/",
    "/v5/execution/",
    "/v5/account/",
    "/v5/user/",
    "/v5/asset/",
)

#: Hosts answered by :func:`~.mock.mock_bybit`: any ``*.bybit.com`` (mainnet, api-testnet,
#: api-demo) and the ``bytick.com`` mirror (https://bybit-exchange.github.io/docs/v5/guide)
BYBIT_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*(?:bybit\.com|bytick\.com)$", re.IGNORECASE)

#: The keys of ccxt bybit's ``urls["api"]`` (ccxt 4.5.90 ``bybit.describe()``)
CCXT_API_KEYS = ("public", "private", "spot", "futures", "v2")


def is_private(path: str) -> bool:
    """True when ``path`` needs a signed request."""
    return path.startswith(PRIVATE_PREFIXES)


def ccxt_urls(base_url: str) -> dict[str, str]:
    """The ``urls["api"]`` of a ccxt bybit client that talks to a simulator at ``base_url``.

    Use it as ``exchange.urls["api"] = ccxt_urls(server.url)`` or, in a freqtrade config,
    ``"exchange": {"ccxt_config": {"urls": {"api": ccxt_urls(url)}}}`` (both ccxt clients).

    :param base_url: the simulator's base URL, e.g. ``http://127.0.0.1:54321``
    :return: one entry per ccxt API group, all ``base_url`` without a trailing slash
    :raise ValueError: when ``base_url`` is not an ``http://`` or ``https://`` URL with a host
    """
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", base_url or ""):
        raise ValueError(
            f"base_url {base_url!r} is not an http(s) URL; expected e.g. http://127.0.0.1:54321"
        )
    return dict.fromkeys(CCXT_API_KEYS, base_url.rstrip("/"))
