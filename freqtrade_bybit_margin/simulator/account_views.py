"""
Read-only account views: ``/v5/account/info``, ``/v5/user/query-api``,
``/v5/account/wallet-balance`` and ``/v5/asset/coin/query-info``.
"""

import logging
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode, Category
from freqtrade_bybit_margin.simulator.exceptions import ParamsError
from freqtrade_bybit_margin.simulator.market_data import fmt
from freqtrade_bybit_margin.simulator.models import AccountBackend
from freqtrade_bybit_margin.simulator.rules import (
    QUERY_API_UTA,
    UNIFIED_MARGIN_STATUS,
    WALLET_ACCOUNT_TYPES,
)


logger = logging.getLogger(__name__)

Q = Decimal("0.00000001")
#: UID of the simulated account
SIM_UID = 100_000_001


def account_info(backend: AccountBackend) -> dict[str, Any]:
    """``GET /v5/account/info`` (classic reports ``REGULAR_MARGIN``).

    https://bybit-exchange.github.io/docs/v5/account/account-info
    """
    mode = backend.account_margin_mode
    if backend.account_type == "classic":
        mode = AccountMarginMode.CROSS.value
    return {
        "unifiedMarginStatus": int(UNIFIED_MARGIN_STATUS[backend.account_type]),
        "marginMode": mode,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
        "updatedTime": str(backend.clock()),
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
    }


def query_api(backend: AccountBackend, api_key: str) -> dict[str, Any]:
    """``GET /v5/user/query-api``.

    https://bybit-exchange.github.io/docs/v5/user/apikey-info
    """
    return {
        "id": "1",
        "note": "bybit simulator",
        "apiKey": api_key,
        "readOnly": 0,
        "secret": "",
        "permissions": {
            "ContractTrade": ["Order", "Position"],
            "Spot": ["SpotTrade"],
            "Wallet": ["AccountTransfer", "SubMemberTransfer"],
            "Options": ["OptionsTrade"],
            "Derivatives": ["DerivativesTrade"],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": [],
            "NFT": [],
            "Affiliate": [],
            "Earn": [],
        },
        "ips": ["*"],
        "type": 1,
        "deadlineDay": 66,
        "expiredAt": "",
        "createdAt": "2024-01-01T00:00:00Z",
        "unified": 0,
        "uta": QUERY_API_UTA[backend.account_type],
        "userID": SIM_UID,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }


def _usd_rate(backend: AccountBackend, coin: str) -> Decimal:
    if coin in ("USDT", "USDC", "USD"):
        return Decimal(1)
    inst = backend.by_category.get((Category.LINEAR, f"{coin}USDT"))
    return backend.mark(inst) if inst is not None else Decimal(0)


def _coin_row(backend: AccountBackend, coin: str) -> dict[str, Any]:
    wallet = backend.wallet.get(coin, Decimal(0))
    pos_im, order_im, upnl = backend.coin_margin(coin)
    equity = wallet + upnl
    free = max(wallet - pos_im - order_im, Decimal(0))
    mm = sum(
        (
            Decimal(p.size * p.avg_price if p.inst.category != Category.INVERSE else 0)
            * Decimal("0.005")
            for p in backend.open_positions()
            if p.inst.settle == coin
        ),
        Decimal(0),
    )
    return {
        "coin": coin,
        "equity": fmt(equity.quantize(Q)),
        "usdValue": fmt((equity * _usd_rate(backend, coin)).quantize(Q)),
        "walletBalance": fmt(wallet.quantize(Q)),
        "free": "",
        "locked": "0",
        "spotHedgingQty": "0",
        "borrowAmount": "0",
        "availableToWithdraw": fmt(free.quantize(Q)),
        "availableToBorrow": "",
        "accruedInterest": "0",
        "totalOrderIM": fmt(order_im.quantize(Q)),
        "totalPositionIM": fmt(pos_im.quantize(Q)),
        "totalPositionMM": fmt(mm.quantize(Q)),
        "unrealisedPnl": fmt(upnl.quantize(Q)),
        "cumRealisedPnl": "0",
        "bonus": "0",
        "marginCollateral": True,
        "collateralSwitch": True,
    }


def wallet_balance(backend: AccountBackend, account_type: str, coin: str | None) -> dict[str, Any]:
    """``GET /v5/account/wallet-balance`` (``UNIFIED`` on UTA, ``CONTRACT`` on classic).

    https://bybit-exchange.github.io/docs/v5/account/wallet-balance
    """
    if account_type not in WALLET_ACCOUNT_TYPES[backend.account_type]:
        raise ParamsError(
            f"accountType only support {sorted(WALLET_ACCOUNT_TYPES[backend.account_type])}"
        )
    coins = [c for c in backend.wallet if coin is None or c in coin.split(",")]
    if account_type == "SPOT":
        coins = []
    rows = [_coin_row(backend, c) for c in coins]
    usd = sum((Decimal(r["usdValue"]) for r in rows), Decimal(0))
    im = sum(
        (Decimal(r["totalPositionIM"]) * _usd_rate(backend, r["coin"]) for r in rows), Decimal(0)
    )
    upl = sum(
        (Decimal(r["unrealisedPnl"]) * _usd_rate(backend, r["coin"]) for r in rows), Decimal(0)
    )
    wallet_usd = sum(
        (Decimal(r["walletBalance"]) * _usd_rate(backend, r["coin"]) for r in rows), Decimal(0)
    )
    unified = account_type == "UNIFIED"
    entry: dict[str, Any] = {
        "accountType": account_type,
        "accountLTV": "0",
        "accountIMRate": fmt((im / usd).quantize(Decimal("0.0001"))) if unified and usd else "",
        "accountMMRate": "0" if unified else "",
        "totalEquity": fmt(usd.quantize(Q)) if unified else "",
        "totalWalletBalance": fmt(wallet_usd.quantize(Q)) if unified else "",
        "totalMarginBalance": fmt(usd.quantize(Q)) if unified else "",
        "totalAvailableBalance": fmt((usd - im).quantize(Q)) if unified else "",
        "totalPerpUPL": fmt(upl.quantize(Q)) if unified else "",
        "totalInitialMargin": fmt(im.quantize(Q)) if unified else "",
        "totalMaintenanceMargin": "0" if unified else "",
        "coin": rows,
    }
    return {"list": [entry]}


def coin_info(backend: AccountBackend, coin: str | None) -> dict[str, Any]:
    """``GET /v5/asset/coin/query-info`` (minimal rows: no chains).

    https://bybit-exchange.github.io/docs/v5/asset/coin-info
    """
    names = sorted({i.base for i in backend.instruments} | {"USDT", "USDC"})
    return {
        "rows": [
            {"name": c, "coin": c, "remainAmount": "1000000", "chains": []}
            for c in names
            if coin is None or c == coin
        ]
    }
