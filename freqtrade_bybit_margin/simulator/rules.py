"""
Bybit's support rules as data: which account type serves what.

Every table cites the page it encodes. Where Bybit documents nothing the choice is a knob of
:class:`SimKnobs` and the comment says so.
"""

import logging
from dataclasses import dataclass
from typing import Literal

from freqtrade_bybit_margin.constants import AccountMarginMode, Category, UnifiedMarginStatus


logger = logging.getLogger(__name__)

AccountType = Literal["classic", "uta1", "uta2"]
ACCOUNT_TYPES: tuple[AccountType, ...] = ("classic", "uta1", "uta2")

#: ``unifiedMarginStatus`` per account type (https://bybit-exchange.github.io/docs/v5/enum#unifiedmarginstatus)
UNIFIED_MARGIN_STATUS: dict[AccountType, UnifiedMarginStatus] = {
    "classic": UnifiedMarginStatus.CLASSIC,
    "uta1": UnifiedMarginStatus.UTA1,
    "uta2": UnifiedMarginStatus.UTA2_PRO,
}

#: ``uta`` of ``/v5/user/query-api`` (https://bybit-exchange.github.io/docs/v5/user/apikey-info)
QUERY_API_UTA: dict[AccountType, int] = {"classic": 0, "uta1": 1, "uta2": 1}

#: (account type, category) pairs served by ``/v5/position/switch-isolated``; everything else
#: answers 100028 "unified account is forbidden" (UTA2.0 reply undocumented: see
#: ``SimKnobs.uta2_switch_isolated_ret_code``).
#: https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate ,
#: https://bybit-exchange.github.io/docs/v5/acct-mode
SWITCH_ISOLATED_SUPPORT: frozenset[tuple[AccountType, Category]] = frozenset(
    {
        ("classic", Category.LINEAR),
        ("classic", Category.INVERSE),
        ("uta1", Category.INVERSE),
    }
)

#: Where ``tradeMode`` of ``/v5/position/list`` reports the per-symbol mode; elsewhere it is
#: "deprecated, always 0" (https://bybit-exchange.github.io/docs/v5/position ; pre-2025-11 doc
#: https://github.com/bybit-exchange/docs/blob/e00557a4c5a6bf45f5cbd47a98b791ebb237b2d4/docs/v5/position/position.mdx)
PER_SYMBOL_MARGIN_MODE = SWITCH_ISOLATED_SUPPORT

#: ``accountType`` values ``/v5/account/wallet-balance`` accepts per account type; derivatives
#: live in ``CONTRACT`` on classic, ``UNIFIED`` on UTA
#: (https://bybit-exchange.github.io/docs/v5/account/wallet-balance).
WALLET_ACCOUNT_TYPES: dict[AccountType, frozenset[str]] = {
    "classic": frozenset({"CONTRACT", "SPOT"}),
    "uta1": frozenset({"UNIFIED", "CONTRACT"}),
    "uta2": frozenset({"UNIFIED"}),
}

#: Per-UID, per-endpoint limits in requests per rolling second
#: (https://bybit-exchange.github.io/docs/v5/rate-limit). switch-isolated is not listed by
#: Bybit: 10/s as set-leverage (ccxt gives it the same cost). Unlisted endpoints: 50/s.
RATE_LIMITS: dict[str, int] = {
    "/v5/position/switch-isolated": 10,
    "/v5/position/set-leverage": 10,
    "/v5/position/switch-mode": 10,
    "/v5/account/set-margin-mode": 5,
    "/v5/position/list": 50,
    "/v5/account/info": 50,
    "/v5/user/query-api": 10,
    "/v5/order/create": 10,
    "/v5/order/cancel": 10,
    "/v5/order/cancel-all": 10,
    "/v5/order/realtime": 50,
    "/v5/order/history": 50,
    "/v5/execution/list": 50,
    "/v5/account/wallet-balance": 50,
}
DEFAULT_RATE_LIMIT = 50

#: Account margin modes accepted by ``/v5/account/set-margin-mode``
#: (https://bybit-exchange.github.io/docs/v5/account/set-margin-mode)
ACCOUNT_MARGIN_MODES = frozenset(m.value for m in AccountMarginMode)


@dataclass
class SimKnobs:
    """Behaviour switches for what Bybit does not document (and for test convenience)."""

    #: ``/v5/position/switch-isolated`` on a symbol with a position or an open order: Bybit
    #: documents nothing for V5 (UNVERIFIED). "reject" answers 10001, "cancel" cancels the
    #: symbol's orders and switches (the Node SDK's JSDoc wording).
    switch_with_open_position: Literal["reject", "cancel"] = "reject"
    #: retCode of switch-isolated on UTA2.0 (undocumented; 100028 as observed on UTA1.0 linear)
    uta2_switch_isolated_ret_code: int = 100028
    #: ``/v5/account/set-margin-mode`` to the current mode: undocumented; modelled as accepted
    #: (retCode 0, "Request accepted", reasons []). Set to a retCode to refuse instead.
    same_margin_mode_ret_code: int = 0
    #: Charge trading fees (taker / maker rates as Bybit's base VIP level for perps)
    fees: bool = True
    taker_fee_rate: str = "0.00055"
    maker_fee_rate: str = "0.0002"
    #: Include ``cumFeeDetail`` in order rows (ccxt then skips ``/v5/execution/list``)
    cum_fee_detail: bool = True
    #: Starting wallet (coin -> amount)
    starting_balance: tuple[tuple[str, str], ...] = (
        ("USDT", "10000"),
        ("BTC", "0.1"),
        ("ETH", "1"),
    )
    #: Default leverage of a symbol never touched (Bybit's default for new users: 10x)
    default_leverage: str = "10"
    #: Modelling simplification: a limit order priced at a best bid/ask shown within the last
    #: ``quote_grace_ms`` still crosses (the top level is taken as deep and sticky enough), so a
    #: client pricing at the quote it just fetched gets filled although the path moved on.
    quote_grace_ms: int = 3000
    #: Seconds the HTTP server holds a request carrying a ``timeout`` fault before its 504
    timeout_delay_s: float = 15.0
    #: Rows per page of ``/v5/market/risk-limit`` (Bybit pages it; page size undocumented)
    risk_limit_page_size: int = 30
