"""
Bybit V5 wire vocabulary shared by the client side and the simulator.

Only names and numbers live here (endpoint paths, retCodes, enum values Bybit puts on the
wire). No rule, no support matrix and no limit: the client and the simulator each encode
Bybit's behaviour on their own, so that a mistake on one side cannot cancel out on the other.

Sources: https://bybit-exchange.github.io/docs/v5/error ,
https://bybit-exchange.github.io/docs/v5/enum
"""

from enum import IntEnum, StrEnum


class Endpoint(StrEnum):
    """REST paths of the Bybit V5 API used by the plugin or by freqtrade's live loop."""

    # margin mode and leverage
    SWITCH_ISOLATED = "/v5/position/switch-isolated"
    SET_LEVERAGE = "/v5/position/set-leverage"
    SET_MARGIN_MODE = "/v5/account/set-margin-mode"
    SWITCH_POSITION_MODE = "/v5/position/switch-mode"
    # account and key
    ACCOUNT_INFO = "/v5/account/info"
    QUERY_API = "/v5/user/query-api"
    WALLET_BALANCE = "/v5/account/wallet-balance"
    COIN_INFO = "/v5/asset/coin/query-info"
    # positions, orders, executions
    POSITION_LIST = "/v5/position/list"
    POSITION_SYMBOL_INFO = "/v5/position/symbol-info"
    ORDER_CREATE = "/v5/order/create"
    ORDER_CANCEL = "/v5/order/cancel"
    ORDER_CANCEL_ALL = "/v5/order/cancel-all"
    ORDER_REALTIME = "/v5/order/realtime"
    ORDER_HISTORY = "/v5/order/history"
    EXECUTION_LIST = "/v5/execution/list"
    # public market data
    SERVER_TIME = "/v5/market/time"
    INSTRUMENTS_INFO = "/v5/market/instruments-info"
    TICKERS = "/v5/market/tickers"
    ORDERBOOK = "/v5/market/orderbook"
    KLINE = "/v5/market/kline"
    MARK_PRICE_KLINE = "/v5/market/mark-price-kline"
    INDEX_PRICE_KLINE = "/v5/market/index-price-kline"
    FUNDING_HISTORY = "/v5/market/funding/history"
    RISK_LIMIT = "/v5/market/risk-limit"


class RetCode(IntEnum):
    """``retCode`` values of Bybit V5 replies that the plugin or the simulator names."""

    OK = 0
    PARAMS_ERROR = 10001
    TIMESTAMP_OUTSIDE_RECV_WINDOW = 10002
    INVALID_API_KEY = 10003
    SIGNATURE_ERROR = 10004
    PERMISSION_DENIED = 10005
    TOO_MANY_VISITS = 10006
    UNMATCHED_IP = 10010
    SERVER_TIMEOUT = 10016
    UNIFIED_ACCOUNT_ONLY = 10028
    UNIFIED_ACCOUNT_FORBIDDEN = 100028
    ORDER_NOT_FOUND = 110001
    INSUFFICIENT_BALANCE = 110007
    LEVERAGE_RISK_LIMIT = 110013
    REDUCE_ONLY_NOT_SATISFIED = 110017
    POSITION_MODE_NOT_MODIFIED = 110025
    MARGIN_MODE_NOT_MODIFIED = 110026
    LEVERAGE_NOT_MODIFIED = 110043
    SET_MARGIN_MODE_FAILED = 110073
    SET_MARGIN_MODE_FAILED_RETIRED = 3400045
    """Retired on 2023-01-19 for 110073 (docs/pilot-feature/pilot.mdx, "Adjust error code");
    only the stale example on the set-margin-mode page still shows it."""
    REGION_RESTRICTED = 10009
    """"Service Restricted: Access is currently unavailable for your region"."""
    API_KEY_EXPIRED = 33004
    """"(Derivatives) Your api key has expired" (-2015 is the spot twin)."""
    POSITION_EXISTS = 110024
    """An existing position: the position mode cannot be switched."""
    OPEN_ORDERS_EXIST = 110028
    """Open orders exist: the position mode cannot be switched."""
    HEDGE_NOT_SUPPORTED = 110029
    """Hedge mode is not available for this symbol."""
    PORTFOLIO_LEVERAGE = 110038
    """Leverage cannot be changed under portfolio margin."""
    PM_NOT_SUPPORTED = 110077
    """"Pm mode cannot support"."""
    TERMS_NOT_AGREED = 110125
    """The trading terms of the product must be agreed to first (on Bybit's site)."""
    PRODUCT_REGION_RESTRICTED = 110132
    """"Product not available in your region"."""
    COLLATERAL_LIMIT = 3200641
    """"{coin} collateral has reached the platform limit. Disable {coin} collateral before
    switching margin mode"."""


class PositionIdx(IntEnum):
    """``positionIdx`` of a position row or an order.
    https://bybit-exchange.github.io/docs/v5/enum#positionidx"""

    ONE_WAY = 0
    BUY_SIDE = 1
    """Hedge mode, the Buy side."""
    SELL_SIDE = 2
    """Hedge mode, the Sell side."""


class PositionMode(IntEnum):
    """``mode`` of ``POST /v5/position/switch-mode``: "0: Merged Single. 3: Both Sides".
    https://bybit-exchange.github.io/docs/v5/position/position-mode"""

    ONE_WAY = 0
    HEDGE = 3


class UnifiedMarginStatus(IntEnum):
    """``unifiedMarginStatus`` of ``GET /v5/account/info``."""

    CLASSIC = 1
    UTA1 = 3
    UTA1_PRO = 4
    UTA2 = 5
    UTA2_PRO = 6


class AccountType(StrEnum):
    """Bybit account generation, which decides how margin mode is set.

    The names the CLI, the simulator and the logs use; ``unifiedMarginStatus`` is the wire
    value each side maps on its own. https://bybit-exchange.github.io/docs/v5/acct-mode
    """

    CLASSIC = "classic"
    UTA1 = "uta1"
    UTA2 = "uta2"

    @property
    def label(self) -> str:
        """Bybit's own name for the account type."""
        return {"classic": "Classic", "uta1": "UTA1.0", "uta2": "UTA2.0"}[self.value]


class Category(StrEnum):
    """Bybit product ``category``."""

    SPOT = "spot"
    LINEAR = "linear"
    INVERSE = "inverse"
    OPTION = "option"


class AccountMarginMode(StrEnum):
    """Account-wide margin mode of a unified account (``/v5/account/set-margin-mode``)."""

    ISOLATED = "ISOLATED_MARGIN"
    CROSS = "REGULAR_MARGIN"
    PORTFOLIO = "PORTFOLIO_MARGIN"


class TradeMode(IntEnum):
    """``tradeMode`` of ``/v5/position/switch-isolated``."""

    CROSS = 0
    ISOLATED = 1
