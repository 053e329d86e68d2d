"""
Route table (data only): ``path -> (method, handler)``, the private-path rule, the Bybit
hosts the requests-mock transport answers, and the reserved control-plane prefix.
"""

import logging
import re
from typing import NamedTuple

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import responses as r


logger = logging.getLogger(__name__)


class Route(NamedTuple):
    """An endpoint: its HTTP method and handler."""

    method: str
    handler: r.Handler


ROUTES: dict[str, Route] = {
    # public market data
    Endpoint.SERVER_TIME: Route("GET", r.server_time),
    Endpoint.INSTRUMENTS_INFO: Route("GET", r.instruments_info),
    Endpoint.TICKERS: Route("GET", r.tickers),
    Endpoint.ORDERBOOK: Route("GET", r.orderbook),
    Endpoint.KLINE: Route("GET", r.kline),
    Endpoint.MARK_PRICE_KLINE: Route("GET", r.price_kline),
    Endpoint.INDEX_PRICE_KLINE: Route("GET", r.price_kline),
    Endpoint.FUNDING_HISTORY: Route("GET", r.funding),
    Endpoint.RISK_LIMIT: Route("GET", r.risk_limit),
    # margin mode and leverage
    Endpoint.SWITCH_ISOLATED: Route("POST", r.switch_isolated),
    Endpoint.SET_LEVERAGE: Route("POST", r.set_leverage),
    Endpoint.SET_MARGIN_MODE: Route("POST", r.set_margin_mode),
    Endpoint.SWITCH_POSITION_MODE: Route("POST", r.switch_mode),
    # account and key
    Endpoint.ACCOUNT_INFO: Route("GET", r.account_info),
    Endpoint.QUERY_API: Route("GET", r.query_api),
    Endpoint.WALLET_BALANCE: Route("GET", r.wallet_balance),
    Endpoint.COIN_INFO: Route("GET", r.coin_info),
    # positions, orders, executions
    Endpoint.POSITION_LIST: Route("GET", r.position_list),
    Endpoint.POSITION_SYMBOL_INFO: Route("GET", r.symbol_info),
    Endpoint.ORDER_CREATE: Route("POST", r.order_create),
    Endpoint.ORDER_CANCEL: Route("POST", r.order_cancel),
    Endpoint.ORDER_CANCEL_ALL: Route("POST", r.order_cancel_all),
    Endpoint.ORDER_REALTIME: Route("GET", r.order_realtime),
    Endpoint.ORDER_HISTORY: Route("GET", r.order_history),
    Endpoint.EXECUTION_LIST: Route("GET", r.execution_list),
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

#: Control plane for server mode; cannot collide with ``/v5``.
CONTROL_PREFIX = "/_sim/"

#: Hosts answered by :func:`~.mock.mock_bybit`: any ``*.bybit.com`` (mainnet, api-testnet,
#: api-demo) and the ``bytick.com`` mirror (https://bybit-exchange.github.io/docs/v5/guide)
BYBIT_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*(?:bybit\.com|bytick\.com)$", re.IGNORECASE)


def is_private(path: str) -> bool:
    """True when ``path`` needs a signed request."""
    return path.startswith(PRIVATE_PREFIXES)
