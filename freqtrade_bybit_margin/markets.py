"""
What a ccxt market is to Bybit's margin endpoints: THE contract classifier, THE leverage-filter
check and THE leverage formatter. Every other module asks here; none reads ``market`` flags itself.

- category and settle coin: https://bybit-exchange.github.io/docs/v5/market/instrument
- which mechanism Bybit serves per account type and category:
  https://bybit-exchange.github.io/docs/v5/acct-mode (UTA2.0: switch-isolated "no longer
  applicable"; UTA1.0: inverse only) and the deprecated page
  https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate (Classic: ``linear`` (USDT
  perpetuals) and ``inverse``).

The simulator keeps its own, intended copy of the support matrix (``simulator/rules.py``) so that a
mistake on one side cannot cancel out on the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import ccxt

from freqtrade_bybit_margin.constants import AccountType, Category
from freqtrade_bybit_margin.model import Mechanism


__all__ = [
    "Contract",
    "LeverageFilter",
    "contract_of",
    "finite_decimal",
    "fmt_leverage",
    "format_leverage",
    "is_contract",
    "leverage_filter",
    "mechanism_for",
    "serves_switch_isolated",
]

#: Settle coins for which Bybit's Classic account served switch-isolated on ``linear``: the
#: Classic "USDT perpetual" product. USDC-settled linear contracts were a unified-margin product
#: (the pre-2025-11 cross-isolate page: "Classic account: linear (USDT perps), inverse").
CLASSIC_LINEAR_SETTLE = frozenset({"USDT"})


@dataclass(frozen=True)
class Contract:
    """A linear or inverse contract market as Bybit's margin endpoints see it.

    :param pair: unified symbol (``BTC/USDT:USDT``)
    :param market_id: Bybit symbol (``BTCUSDT``)
    :param category: ``linear`` or ``inverse``
    :param settle: settle coin (``USDT``, ``USDC``, ``BTC``)
    """

    pair: str
    market_id: str
    category: Category
    settle: str


def is_contract(market: Mapping[str, Any]) -> bool:
    """True for a linear or inverse contract (the markets margin mode and leverage exist for)."""
    return bool(market.get("contract")) and bool(market.get("linear") or market.get("inverse"))


def contract_of(market: Mapping[str, Any]) -> Contract:
    """
    Classify one ccxt market.

    :param market: a ccxt market dict
    :return: its :class:`Contract`
    :raise ccxt.NotSupported: spot, option or any other non-contract market, naming it
    """
    symbol = str(market.get("symbol"))
    if not is_contract(market):
        kind = "option" if market.get("option") else market.get("type") or "unknown"
        raise ccxt.NotSupported(
            f"{symbol} is a {kind} market; margin mode and leverage exist only for linear and "
            "inverse contracts"
        )
    category = Category.LINEAR if market.get("linear") else Category.INVERSE
    settle = str(market.get("settle") or market.get("quote") or "")
    return Contract(symbol, str(market["id"]), category, settle)


def serves_switch_isolated(account_type: AccountType, contract: Contract) -> bool:
    """Whether Bybit serves ``POST /v5/position/switch-isolated`` for ``contract``."""
    if account_type is AccountType.CLASSIC:
        return contract.category is Category.INVERSE or (contract.settle in CLASSIC_LINEAR_SETTLE)
    if account_type is AccountType.UTA1:
        return contract.category is Category.INVERSE
    return False


def mechanism_for(account_type: AccountType, contract: Contract) -> Mechanism:
    """The mechanism that brings ``contract`` to its target on ``account_type``."""
    if serves_switch_isolated(account_type, contract):
        return Mechanism.SWITCH_ISOLATED
    return Mechanism.ACCOUNT_MODE


def format_leverage(value: Decimal | float | str) -> str:
    """
    Render a leverage as Bybit's decimal string, without float noise or trailing zeros.

    ``10 -> "10"``, ``2.5 -> "2.5"``, ``Decimal("12.340") -> "12.34"``.
    """
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(number.normalize(), "f")
    return text


def fmt_leverage(value: Decimal | float | None) -> str:
    """``3 -> "3x"``, ``2.5 -> "2.5x"``, ``None -> "?"`` (tables and log lines)."""
    return "?" if value is None else f"{format_leverage(value)}x"


@dataclass(frozen=True)
class LeverageFilter:
    """A market's leverage limits (ccxt ``limits.leverage`` and Bybit's ``leverageFilter``)."""

    low: Decimal
    high: Decimal | None
    step: Decimal | None

    @property
    def allowed(self) -> str:
        """What is allowed, in words: ``"1 to 50 in steps of 0.01"``."""
        low = format_leverage(self.low)
        text = f"{low} to {format_leverage(self.high)}" if self.high is not None else f">= {low}"
        return text + (f" in steps of {format_leverage(self.step)}" if self.step else "")

    def problem(self, leverage: Decimal | float) -> str | None:
        """Why ``leverage`` is not allowed ("out of range" / "off the step"), or None."""
        value = leverage if isinstance(leverage, Decimal) else Decimal(str(leverage))
        if value <= 0 or value < self.low or (self.high is not None and value > self.high):
            return "is out of range"
        if self.step and (value - self.low) % self.step != 0:
            return "is not on the leverage step"
        return None


def leverage_filter(market: Mapping[str, Any]) -> LeverageFilter:
    """The leverage limits of ``market``; min 1 and no max when the market does not say."""
    limits = (market.get("limits") or {}).get("leverage") or {}
    info = (market.get("info") or {}).get("leverageFilter") or {}
    low = finite_decimal(limits.get("min")) or finite_decimal(info.get("minLeverage")) or Decimal(1)
    high = finite_decimal(limits.get("max")) or finite_decimal(info.get("maxLeverage"))
    step = finite_decimal(info.get("leverageStep"))
    return LeverageFilter(low, high, step if step and step > 0 else None)


def finite_decimal(value: Any) -> Decimal | None:
    """
    THE number parser for leverages and limits: ``value`` as an exact Decimal, or None when it
    is not a finite number (None, ``""``, a bool, ``"abc"``, NaN, Infinity).

    ``3 -> 3``, ``2.5 -> 2.5`` (from its shortest repr, no float noise), ``" 12.340" -> 12.340``.
    """
    if (
        value is None
        or isinstance(value, bool)
        or not isinstance(value, int | float | str | Decimal)
    ):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
