"""
Read what the exchange says about margin settings, positions and open orders, in bulk where
Bybit allows it.

- positions and open orders per (category, settle coin), one paged request each, whatever the
  number of pairs: https://bybit-exchange.github.io/docs/v5/position ,
  https://bybit-exchange.github.io/docs/v5/order/open-order
- every symbol's leverage in one request per category on unified accounts (``symbol-info``,
  "does not require an open position"): https://bybit-exchange.github.io/docs/v5/position/batch-lvg
- one symbol's mode and leverage, position or not: ``position/list?symbol=`` "returns data
  regardless of having position or not" (Classic ``tradeMode``; UTA: leverage).

An answer that cannot be parsed raises (``ccxt.BadResponse``): the state stays unknown and nothing
is switched blindly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode, Endpoint, TradeMode
from freqtrade_bybit_margin.markets import Contract, finite_decimal
from freqtrade_bybit_margin.model import MarginMode, Mechanism
from freqtrade_bybit_margin.service.calls import Caller
from freqtrade_bybit_margin.service.position_mode import HEDGE, ONE_WAY, fold, is_hedge


__all__ = [
    "ExchangeReader",
    "Exposure",
    "PairState",
    "margin_mode_of_account",
    "margin_mode_of_trade_mode",
]

_MAX_PAGES = 20


@dataclass(frozen=True)
class PairState:
    """A pair's current settings as the exchange reports them.

    :param margin_mode: None when Bybit does not tell (e.g. portfolio margin)
    :param leverage: None when unknown
    """

    pair: str
    margin_mode: MarginMode | None
    leverage: Decimal | None
    position_side: str = ""
    position_size: Decimal = Decimal(0)
    open_orders: int = 0
    leverage_set_by_bybit_ms: int | None = None
    """``leverageSysUpdatedTime``: when Bybit itself last lowered the position's leverage."""
    hedge: bool = False
    """The symbol is in hedge mode (a row per side): freqtrade's one-way orders are refused
    there, so the pair is never at its target (:mod:`.position_mode`)."""

    @property
    def position_mode(self) -> str:
        """``"one-way"`` or ``"hedge"``."""
        return HEDGE if self.hedge else ONE_WAY

    @property
    def busy(self) -> bool:
        """An open position or open order: the pair must not be switched."""
        return self.position_size > 0 or self.open_orders > 0

    @property
    def busy_reason(self) -> str:
        """``"open position (Buy 0.01) and 2 open order(s)"``."""
        parts = []
        if self.position_size > 0:
            parts.append(f"open position ({self.position_side} {self.position_size:g})")
        if self.open_orders > 0:
            parts.append(f"{self.open_orders} open order(s)")
        return " and ".join(parts)


@dataclass
class Exposure:
    """Open positions and orders of the account for some (category, settle) groups.

    Keys are Bybit market ids (``BTCUSDT``).
    """

    positions: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_orders: dict[str, int] = field(default_factory=dict)

    @property
    def any_open(self) -> bool:
        """Any position or open order at all."""
        return bool(self.positions) or bool(self.open_orders)

    def busy(self, market_id: str) -> bool:
        """An open position or order on ``market_id``."""
        return market_id in self.positions or market_id in self.open_orders

    def describe(self, limit: int = 5) -> str:
        """``"BTCUSDT, ETHUSDT and 3 more"``."""
        names = sorted(set(self.positions) | set(self.open_orders))
        more = f" and {len(names) - limit} more" if len(names) > limit else ""
        return ", ".join(names[:limit]) + more


def margin_mode_of_account(value: str | None) -> MarginMode | None:
    """``ISOLATED_MARGIN`` -> isolated, ``REGULAR_MARGIN`` -> cross, otherwise None."""
    if value == AccountMarginMode.ISOLATED:
        return MarginMode.ISOLATED
    if value == AccountMarginMode.CROSS:
        return MarginMode.CROSS
    return None


def margin_mode_of_trade_mode(value: Any) -> MarginMode | None:
    """Per-symbol ``tradeMode`` (Classic, UTA1.0 inverse): 1 isolated, 0 cross."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return MarginMode.ISOLATED if number == TradeMode.ISOLATED else MarginMode.CROSS


def state_of(
    contract: Contract,
    mechanism: Mechanism,
    row: dict[str, Any],
    open_orders: int,
    account_mode: str | None,
) -> PairState:
    """
    A pair's state from its position row (or symbol-info row) and the account's mode.

    :param account_mode: the unified account's ``marginMode`` (ignored for switch-isolated pairs,
        whose mode is the row's ``tradeMode``)
    """
    if mechanism is Mechanism.SWITCH_ISOLATED:
        mode = margin_mode_of_trade_mode(row.get("tradeMode"))
    else:
        mode = margin_mode_of_account(account_mode)
    size = finite_decimal(row.get("size")) or Decimal(0)
    by_bybit = finite_decimal(row.get("leverageSysUpdatedTime"))
    return PairState(
        pair=contract.pair,
        margin_mode=mode,
        leverage=finite_decimal(row.get("leverage")),
        position_side=str(row.get("side") or "") if size > 0 else "",
        position_size=size,
        open_orders=open_orders,
        leverage_set_by_bybit_ms=int(by_bybit) if by_bybit else None,
        hedge=is_hedge(row),
    )


class ExchangeReader:
    """Read-only queries, each one paced and retried by ``call``."""

    def __init__(self, call: Caller) -> None:
        self._call = call

    def account_margin_mode(self) -> str:
        """The account-wide mode of a unified account (``GET /v5/account/info``)."""
        return self.account_info()[1]

    def account_info(self) -> tuple[int | None, str]:
        """``unifiedMarginStatus`` and ``marginMode`` of ``GET /v5/account/info``."""
        result = self._call.get(Endpoint.ACCOUNT_INFO, {}).get("result") or {}
        status = finite_decimal(result.get("unifiedMarginStatus"))
        return (int(status) if status is not None else None), str(result.get("marginMode") or "")

    def exposure(self, groups: Iterable[tuple[str, str]]) -> Exposure:
        """Open positions and open orders for each (category, settle coin): 2 requests each."""
        found = Exposure()
        for category, settle in sorted(set(groups)):
            positions = self._paged(
                Endpoint.POSITION_LIST, {"category": category, "settleCoin": settle, "limit": 200}
            )
            sides: dict[str, list[dict[str, Any]]] = {}
            for row in positions:
                if (finite_decimal(row.get("size")) or 0) > 0:
                    sides.setdefault(str(row["symbol"]), []).append(row)
            for symbol, rows in sides.items():  # hedge mode: both sides may be open
                found.positions[symbol] = fold(rows) or {}
            orders = self._paged(
                Endpoint.ORDER_REALTIME, {"category": category, "settleCoin": settle, "limit": 50}
            )
            for row in orders:
                symbol = str(row["symbol"])
                found.open_orders[symbol] = found.open_orders.get(symbol, 0) + 1
        return found

    def leverages(self, category: str) -> dict[str, Decimal | None]:
        """
        Every symbol's leverage setting in one request, position or not.

        Hedge mode may give one row per side; a symbol whose rows disagree maps to None.
        """
        rows = self.symbol_rows(category)
        return {symbol: finite_decimal(row.get("leverage")) for symbol, row in rows.items()}

    def symbol_rows(self, category: str) -> dict[str, dict[str, Any]]:
        """Every symbol's ``symbol-info`` rows in one request, folded to one row per symbol
        (hedge mode: a row per side, :func:`~.position_mode.fold`)."""
        rows = self._paged(Endpoint.POSITION_SYMBOL_INFO, {"category": category})
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(str(row["symbol"]), []).append(row)
        return {symbol: fold(sides) or {} for symbol, sides in found.items()}

    def position_row(self, contract: Contract) -> dict[str, Any] | None:
        """The position row of one symbol (Bybit returns one when flat too; in hedge mode one
        per side, folded: :func:`~.position_mode.fold`); None if absent."""
        request = {"category": contract.category.value, "symbol": contract.market_id}
        response = self._call.get(Endpoint.POSITION_LIST, request)
        rows = (response.get("result") or {}).get("list") or []
        return fold(
            [r for r in rows if isinstance(r, dict) and str(r.get("symbol")) == contract.market_id]
        )

    def _paged(self, endpoint: Endpoint, request: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for _ in range(_MAX_PAGES):
            result = self._call.get(endpoint, request).get("result") or {}
            rows.extend(row for row in result.get("list") or [] if isinstance(row, dict))
            cursor = result.get("nextPageCursor")
            if not cursor:
                break
            request = {**request, "cursor": cursor}
        return rows
