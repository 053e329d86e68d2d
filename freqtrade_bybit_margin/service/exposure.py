"""
The whole unified account before its account-wide margin mode is switched: positions in every
category and settle coin outside the pairs' own settle groups (linear USDT and USDC, inverse,
option) and spot-margin loans.

The margin mode of a unified account is account-wide
(https://bybit-exchange.github.io/docs/v5/account/set-margin-mode): switching it changes every
position on the account, and isolated margin excludes options and spot margin ("Spot Margin /
USDC Options: Supported (Not in Isolated Margin Mode)", reference A4). The survey reads only the
pairs' settle groups; this reads the rest, and only when a switch is planned (one request per
group, each paced and retried like every read):

- ``GET /v5/position/list?category=linear&settleCoin=USDT|USDC`` (the settle coin not already
  read), ``?category=inverse`` ("can list all open positions without symbol"),
  ``?category=option`` (every base coin when ``baseCoin`` is not given):
  https://bybit-exchange.github.io/docs/v5/position ; without ``symbol`` Bybit lists open
  positions only, so one page with anything in it is already a blocker (no paging needed);
- ``GET /v5/account/wallet-balance?accountType=UNIFIED``: ``coin[].borrowAmount``, the
  spot-margin loan of each coin: https://bybit-exchange.github.io/docs/v5/account/wallet-balance
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import AccountMarginMode, Category, Endpoint
from freqtrade_bybit_margin.markets import finite_decimal
from freqtrade_bybit_margin.service.calls import Caller


__all__ = ["LINEAR_SETTLE_COINS", "Elsewhere", "WholeAccount"]

#: Bybit's linear settle coins (USDT perpetuals and futures, USDC perpetuals and futures).
LINEAR_SETTLE_COINS = ("USDT", "USDC")
#: Symbols named in a reason; the rest are counted.
NAMED = 5


@dataclass(frozen=True)
class Elsewhere:
    """What the account holds outside the pairs' own settle groups.

    :param positions: ``(symbol, "linear USDC")``-style pairs of open positions
    :param loans: ``(coin, amount)`` of spot-margin loans
    :param unread: why it could not be read (then nothing may be switched)
    """

    positions: tuple[tuple[str, str], ...] = ()
    loans: tuple[tuple[str, Decimal], ...] = ()
    unread: str = ""

    def blockers(self, target: AccountMarginMode) -> list[str]:
        """What stands in the way of switching to ``target``, one phrase each: every open
        position; spot-margin loans only for isolated margin, which excludes spot margin."""
        found = [f"{symbol} ({what} position)" for symbol, what in self.positions]
        if target is AccountMarginMode.ISOLATED:
            found += [f"{coin} (spot-margin loan {amount:f})" for coin, amount in self.loans]
        return found

    @staticmethod
    def describe(blockers: list[str]) -> str:
        """``"BTCPERP (linear USDC position), ... and 2 more"``."""
        more = f" and {len(blockers) - NAMED} more" if len(blockers) > NAMED else ""
        return ", ".join(blockers[:NAMED]) + more


class WholeAccount:
    """Reads :class:`Elsewhere` (see the module docstring)."""

    def __init__(self, call: Caller) -> None:
        self._call = call

    def read(self, covered: Iterable[tuple[str, str]]) -> Elsewhere:
        """
        Positions and loans outside ``covered``; never raises for exchange failures.

        :param covered: the (category, settle coin) groups the survey already read (any open
            position there already blocks the switch)
        :return: what was found, or why it could not be read
        """
        done = {(str(category), str(settle)) for category, settle in covered}
        queries: list[tuple[dict[str, Any], str]] = [
            ({"category": Category.LINEAR.value, "settleCoin": coin}, f"linear {coin}")
            for coin in LINEAR_SETTLE_COINS
            if (Category.LINEAR.value, coin) not in done
        ]
        queries.append(({"category": Category.INVERSE.value}, "inverse"))
        queries.append(({"category": Category.OPTION.value}, "option"))
        try:
            positions = [
                (symbol, what) for request, what in queries for symbol in self._open(request, done)
            ]
            loans = self._loans()
        except ccxt.BaseError as error:
            return Elsewhere(unread=classify(error).reason)
        return Elsewhere(tuple(positions), tuple(loans))

    def _open(self, request: dict[str, Any], covered: set[tuple[str, str]]) -> list[str]:
        """Symbols with an open position in one ``position/list`` answer (first page)."""
        answer = self._call.get(Endpoint.POSITION_LIST, {**request, "limit": 200})
        rows = (answer.get("result") or {}).get("list") or []
        return sorted(
            {
                str(row.get("symbol"))
                for row in rows
                if isinstance(row, dict)
                and (finite_decimal(row.get("size")) or 0) > 0
                and (request["category"], str(row.get("settleCoin") or "")) not in covered
            }
        )

    def _loans(self) -> list[tuple[str, Decimal]]:
        """``(coin, borrowAmount)`` of every coin with a spot-margin loan."""
        answer = self._call.get(Endpoint.WALLET_BALANCE, {"accountType": "UNIFIED"})
        accounts = (answer.get("result") or {}).get("list") or []
        loans: dict[str, Decimal] = {}
        for account in accounts:
            for coin in (account.get("coin") or []) if isinstance(account, dict) else []:
                amount = (
                    finite_decimal(coin.get("borrowAmount")) if isinstance(coin, dict) else None
                )
                if amount is not None and amount > 0:
                    loans[str(coin.get("coin"))] = amount
        return sorted(loans.items())
