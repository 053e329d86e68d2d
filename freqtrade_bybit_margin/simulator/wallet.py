"""
The wallet of the simulated account: balances per coin and their Bybit views
(``/v5/account/wallet-balance``, ``/v5/asset/coin/query-info``).

The margin that positions and orders hold comes in as an :class:`Exposure` from the matching
engine; the wallet itself knows nothing about orders.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.simulator.exceptions import ParamsError
from freqtrade_bybit_margin.simulator.formatting import fmt, fmt8


@dataclass(frozen=True)
class Exposure:
    """What positions and orders settled in one coin hold, in that coin."""

    position_im: Decimal = Decimal(0)
    order_im: Decimal = Decimal(0)
    unrealised: Decimal = Decimal(0)
    maintenance: Decimal = Decimal(0)


class Wallet:
    """Balances per coin, and spot-margin liabilities (``borrowAmount``, seeded only).

    :param starting: ``(coin, amount)`` pairs of the starting wallet
    """

    def __init__(self, starting: Iterable[tuple[str, str]]) -> None:
        self.balances: dict[str, Decimal] = {c: Decimal(v) for c, v in starting}
        self.borrowed: dict[str, Decimal] = {}

    def set_borrowed(self, coin: str, amount: Decimal) -> None:
        """Seed a spot-margin loan of ``coin`` (0 repays it); the coin gets a wallet row.

        Where a UTA shows a spot-margin loan: ``coin[].borrowAmount`` of wallet-balance
        (https://bybit-exchange.github.io/docs/v5/account/wallet-balance).
        """
        self.borrowed[coin] = amount
        self.balances.setdefault(coin, Decimal(0))

    def balance(self, coin: str) -> Decimal:
        """Wallet balance of ``coin`` (0 if never held)."""
        return self.balances.get(coin, Decimal(0))

    def credit(self, coin: str, amount: Decimal) -> None:
        """Add ``amount`` (negative: take) to ``coin``."""
        self.balances[coin] = self.balance(coin) + amount

    def available(self, coin: str, exposure: Exposure) -> Decimal:
        """Wallet balance minus position and order margin."""
        return self.balance(coin) - exposure.position_im - exposure.order_im

    def balance_result(
        self,
        account_type: str,
        coin: str | None,
        *,
        allowed: frozenset[str],
        exposure_of: Callable[[str], Exposure],
        usd_rate: Callable[[str], Decimal],
    ) -> dict[str, Any]:
        """``GET /v5/account/wallet-balance`` (``UNIFIED`` on UTA, ``CONTRACT`` on classic).

        https://bybit-exchange.github.io/docs/v5/account/wallet-balance

        :param account_type: the request's ``accountType``
        :param coin: comma-separated coins, or ``None`` for all
        :param allowed: the ``accountType`` values this account type accepts
        :param exposure_of: margin held per coin
        :param usd_rate: USD value of one unit of a coin
        :return: the ``result`` object
        :raise ParamsError: 10001 for an ``accountType`` not allowed
        """
        if account_type not in allowed:
            raise ParamsError(f"accountType only support {sorted(allowed)}")
        coins = [] if account_type == "SPOT" else self._coins(coin)
        rows = [self._coin_row(c, exposure_of(c), usd_rate(c)) for c in coins]
        totals = _usd_totals(rows, usd_rate)
        usd, im = totals["usdValue"], totals["totalPositionIM"]
        unified = account_type == "UNIFIED"

        def uta(value: str) -> str:
            return value if unified else ""

        entry: dict[str, Any] = {
            "accountType": account_type,
            "accountLTV": "0",
            "accountIMRate": uta(fmt((im / usd).quantize(Decimal("0.0001"))) if usd else ""),
            "accountMMRate": uta("0"),
            "totalEquity": uta(fmt8(usd)),
            "totalWalletBalance": uta(fmt8(totals["walletBalance"])),
            "totalMarginBalance": uta(fmt8(usd)),
            "totalAvailableBalance": uta(fmt8(usd - im)),
            "totalPerpUPL": uta(fmt8(totals["unrealisedPnl"])),
            "totalInitialMargin": uta(fmt8(im)),
            "totalMaintenanceMargin": uta("0"),
            "coin": rows,
        }
        return {"list": [entry]}

    def _coins(self, selection: str | None) -> list[str]:
        wanted = set(selection.split(",")) if selection else None
        return [c for c in self.balances if wanted is None or c in wanted]

    def _coin_row(self, coin: str, exposure: Exposure, usd_rate: Decimal) -> dict[str, Any]:
        wallet = self.balance(coin)
        equity = wallet + exposure.unrealised
        free = max(self.available(coin, exposure), Decimal(0))
        return {
            "coin": coin,
            "equity": fmt8(equity),
            "usdValue": fmt8(equity * usd_rate),
            "walletBalance": fmt8(wallet),
            "free": "",
            "locked": "0",
            "spotHedgingQty": "0",
            "borrowAmount": fmt8(self.borrowed.get(coin, Decimal(0))),
            "availableToWithdraw": fmt8(free),
            "availableToBorrow": "",
            "accruedInterest": "0",
            "totalOrderIM": fmt8(exposure.order_im),
            "totalPositionIM": fmt8(exposure.position_im),
            "totalPositionMM": fmt8(exposure.maintenance),
            "unrealisedPnl": fmt8(exposure.unrealised),
            "cumRealisedPnl": "0",
            "bonus": "0",
            "marginCollateral": True,
            "collateralSwitch": True,
        }


def _usd_totals(
    rows: list[dict[str, Any]], usd_rate: Callable[[str], Decimal]
) -> dict[str, Decimal]:
    """Sums over the coin rows in USD (``usdValue`` already is)."""
    totals = {
        name: sum((Decimal(r[name]) * usd_rate(r["coin"]) for r in rows), Decimal(0))
        for name in ("totalPositionIM", "unrealisedPnl", "walletBalance")
    }
    totals["usdValue"] = sum((Decimal(r["usdValue"]) for r in rows), Decimal(0))
    return totals


def coin_info(names: Iterable[str], coin: str | None) -> dict[str, Any]:
    """``GET /v5/asset/coin/query-info`` (minimal rows: no chains).

    https://bybit-exchange.github.io/docs/v5/asset/coin-info

    :param names: every coin of the catalogue
    :param coin: one coin, or ``None`` for all
    :return: the ``result`` object
    """
    return {
        "rows": [
            {"name": c, "coin": c, "remainAmount": "1000000", "chains": []}
            for c in names
            if coin is None or c == coin
        ]
    }
