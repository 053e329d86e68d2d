"""
:class:`SimKnobs`: the simulator's choices where Bybit documents nothing (each with its
evidence), plus switches for test convenience.
"""

from dataclasses import dataclass
from typing import Literal


#: openresty's stock 401 page: Bybit's API answers carry ``Server: Openresty`` (response headers
#: quoted in ccxt issue 19429); Bybit documents the status, not the body.
OPENRESTY_401 = (
    "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    "<center><h1>401 Authorization Required</h1></center>\r\n"
    "<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n"
)


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
    #: Symbols per page of ``/v5/market/risk-limit?category=linear`` without ``symbol``: 15
    #: since 2024-12-12 (reference bybit-v5-margin.md, "Corrections and additions
    #: (2026-12-02)"); each page carries every tier of its symbols.
    risk_limit_symbols_per_page: int = 15
    #: Stop giving ``nextPageCursor`` after this many pages (``None``: never), as the ccxt
    #: releases that stopped paging early did (ccxt issue 29721): the symbols after the cut get
    #: no tiers from a full walk, while ``?symbol=X`` still answers them.
    risk_limit_max_pages: int | None = None
    #: Symbols left out of the full (paged) risk-limit list but served by ``?symbol=X``
    risk_limit_symbols_omitted: tuple[str, ...] = ()
    #: ``/v5/position/switch-mode`` with ``coin`` to the coin's current mode: Bybit would
    #: answer 110025, but freqtrade's startup sends a coin-level one-way switch and exits on
    #: 110025 (freqtrade-live-path.md §7, observed: 5 retries, exit code 2). 0 answers OK
    #: (and still applies the coin rule to idle symbols); set 110025 to be strict.
    coin_mode_unchanged_ret_code: int = 0
    #: Order of a hedge-mode symbol's two rows in ``/v5/position/list?symbol=`` and
    #: ``/v5/position/symbol-info``. Both observed orders put ``positionIdx`` 2 first: the live
    #: run in pybit issue 367 (``0 2 'Sell' 3340`` / ``1 1 '' 0``) and the batch-lvg.mdx
    #: response example. With a long open, ``list[0]`` is then the empty side.
    hedge_row_order: tuple[int, int] = (2, 1)
    #: ``/v5/position/symbol-info`` under portfolio margin: "this endpoint returns an error"
    #: (batch-lvg.mdx), code undocumented; 10001 here (110077 "Pm mode cannot support" of the
    #: error table is the other candidate).
    pm_symbol_info_ret_code: int = 10001
    #: ``/v5/position/switch-mode`` to hedge under portfolio margin (PM is one-way only;
    #: reference 2026-12-02): the code is undocumented, 110077 "Pm mode cannot support" here.
    pm_hedge_ret_code: int = 110077
    #: retCode for an expired key: the error table lists 33004 "(Derivatives) Your api key has
    #: expired" and -2015 for spot (docs/v5/error.mdx at 072c197d); the simulator serves
    #: derivatives and answers 33004 on every private endpoint.
    expired_key_ret_code: int = 33004
    #: Lifetime of a key not bound to IPs when no expiry is given: "keys not bound to an IP
    #: expire; field reports: three months" (reference 2026-12-02, query-api). IP-bound keys
    #: never expire and report ``deadlineDay`` -2, ``expiredAt`` 1970-01-01 (apikey-info.mdx
    #: response example).
    unbound_key_lifetime_days: int = 90
    #: IP limit: requests per 5-second window per client IP, all traffic (rate-limit.mdx,
    #: "600 requests within a 5-second window per IP"); ``None`` turns it off. Enforced only
    #: with ``rate_limits=True``.
    ip_limit: int | None = 600
    #: How long an IP stays banned after a breach, on the simulator's clock: "wait for at least
    #: 10 minutes. The ban will be lifted automatically" (rate-limit.mdx)
    ip_ban_seconds: float = 600.0
    #: Body of the 403 an IP ban answers (rate-limit.mdx quotes the error as "403, access too
    #: frequent"; the exact bytes are not documented): plain text, no JSON.
    ip_ban_body: str = "access too frequent"
    #: Body of the HTTP 401 a private request without authentication headers gets
    #: (docs/v5/error.mdx: "Need to put authentication params in the request header"; body
    #: undocumented)
    http_401_body: str = OPENRESTY_401
    #: ``reasonCode`` when spot-margin liabilities block a switch to ISOLATED_MARGIN ("Spot
    #: Margin: Supported (Not in Isolated Margin Mode)", Bybit help, reference A4). Bybit
    #: documents no reason code: one in the style of 3400101/3400102 (v3 unified doc).
    liability_reason_code: str = "3400103"
