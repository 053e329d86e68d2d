"""
:class:`SimKnobs`: the simulator's choices where Bybit documents nothing (each with its
evidence), plus switches for test convenience.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass
class SimKnobs:
    """Behaviour switches for what Bybit does not document (and for test convenience)."""

    #: ``/v5/position/switch-isolated`` on a symbol with a position or an open order: Bybit
    #: documents nothing for V5 (UNVERIFIED). "reject" answers 10001, "cancel" cancels the
    #: symbol's orders and switches (the Node SDK's JSDoc wording).
    switch_with_open_position: Literal["reject", "cancel"] = "reject"
    #: retCode of switch-isolated on UTA2.0 (undocumented; 100028 as observed on UTA1.0 linear)
    uta2_switch_isolated_ret_code: int = 100028
    #: ``/v5/account/set-margin-mode`` to the current mode on a unified account: answered 0
    #: "Request accepted" (bybit-api f685dc1b expects success; the v3 unified doc says sending
    #: the current mode "returns success"). Set to a retCode to refuse instead.
    same_margin_mode_ret_code: int = 0
    #: ``/v5/account/set-margin-mode`` on a Classic account. "refuse": 110073 for every mode,
    #: as a live mainnet Classic e2e test expected for ``REGULAR_MARGIN`` (tiagosiebler/bybit-api
    #: test/v5/private.write.test.ts at 725f2523). "usdc_docs": what set-margin-mode.mdx said
    #: from 353a7159 (2023-09-13) to 187e79db (2024-08-29), "Classic account can be switched
    #: between REGULAR_MARGIN and PORTFOLIO_MARGIN, only work for USDC Perp and Options":
    #: REGULAR_MARGIN accepted (nothing changes: USDC perps are cross on Classic), PORTFOLIO
    #: refused for equity as on UTA, ISOLATED_MARGIN 110073.
    classic_set_margin_mode: Literal["refuse", "usdc_docs"] = "refuse"
    #: One rolling window per ``category`` (per ``accountType`` for wallet-balance) of an
    #: endpoint, not one per endpoint. Bybit's tables give a limit per category and say of the
    #: batch endpoints that "the configuration of business lines is independent of each other"
    #: (rate-limit.mdx at 9f53178f); whether single endpoints share one window across
    #: categories is not documented (UNVERIFIED).
    rate_window_per_category: bool = True
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
    #: (clients time out first; give them a shorter timeout in tests)
    timeout_delay_s: float = 15.0
    #: Rows per page of ``/v5/market/risk-limit`` (Bybit pages it; page size undocumented)
    risk_limit_page_size: int = 30
