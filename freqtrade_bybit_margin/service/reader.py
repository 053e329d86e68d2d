"""
Read what the exchange says about margin settings, positions and open orders.

Positions and open orders are read per (category, settle coin) in one request each, whatever
the number of pairs: https://bybit-exchange.github.io/docs/v5/position ,
https://bybit-exchange.github.io/docs/v5/order/open-order
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from freqtrade_bybit_margin.constants import AccountMarginMode, Endpoint, TradeMode
from freqtrade_bybit_margin.model import MarginMode


T = TypeVar("T")
#: Runs one exchange call under pacing and retries: ``call(endpoint_path, thunk)``.
Caller = Callable[[str, Callable[[], T]], T]

_MAX_PAGES = 20


@dataclass(frozen=True)
class PairState:
    """A pair's current settings as the exchange reports them.

    :param margin_mode: None when Bybit does not tell (e.g. portfolio margin)
    :param leverage: None when unknown
    """

    pair: str
    margin_mode: MarginMode | None
    leverage: float | None
    position_side: str = ""
    position_size: float = 0.0
    open_orders: int = 0

    @property
    def busy(self) -> bool:
        """An open position or open order: the pair must not be switched."""
        return self.position_size > 0 or self.open_orders > 0

    @property
    def busy_reason(self) -> str:
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
        return bool(self.positions) or bool(self.open_orders)

    def describe(self, limit: int = 5) -> str:
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


def _paged(fetch: Callable[[dict[str, Any]], dict[str, Any]], request: dict[str, Any]) -> list[Any]:
    rows: list[Any] = []
    for _ in range(_MAX_PAGES):
        result = fetch(request).get("result") or {}
        rows.extend(result.get("list") or [])
        cursor = result.get("nextPageCursor")
        if not cursor:
            break
        request = {**request, "cursor": cursor}
    return rows


class ExchangeReader:
    """Read-only queries against one sync ``ccxt.bybit`` instance.

    :param call: runs each request under the service's pacing and retry policy
    """

    def __init__(self, exchange: Any, call: Caller[Any]) -> None:
        self._exchange = exchange
        self._call = call

    def account_margin_mode(self) -> str:
        """The account-wide mode of a unified account (``GET /v5/account/info``)."""
        response = self._call(Endpoint.ACCOUNT_INFO, self._exchange.privateGetV5AccountInfo)
        return str((response.get("result") or {}).get("marginMode") or "")

    def exposure(self, groups: Iterable[tuple[str, str]]) -> Exposure:
        """Open positions and open orders for each (category, settle coin): 2 requests each."""
        found = Exposure()
        for category, settle in sorted(set(groups)):
            request = {"category": category, "settleCoin": settle, "limit": 200}
            positions: list[Any] = self._call(
                Endpoint.POSITION_LIST,
                partial(_paged, self._exchange.privateGetV5PositionList, request),
            )
            for row in positions:
                if Decimal(str(row.get("size") or "0")) > 0:
                    found.positions[str(row["symbol"])] = row
            orders = {"category": category, "settleCoin": settle, "limit": 50}
            open_orders: list[Any] = self._call(
                Endpoint.ORDER_REALTIME,
                partial(_paged, self._exchange.privateGetV5OrderRealtime, orders),
            )
            for row in open_orders:
                symbol = str(row["symbol"])
                found.open_orders[symbol] = found.open_orders.get(symbol, 0) + 1
        return found

    def leverages(self, category: str) -> dict[str, set[float]]:
        """Every symbol's leverage setting in one request, position or not.

        ``GET /v5/position/symbol-info`` ("Get Futures Leverage", 2026-06):
        https://bybit-exchange.github.io/docs/v5/position/batch-lvg . Hedge mode may give one
        row per side, hence a set per symbol.
        """
        request = {"category": category}
        rows: list[Any] = self._call(
            Endpoint.POSITION_SYMBOL_INFO,
            partial(_paged, self._exchange.privateGetV5PositionSymbolInfo, request),
        )
        found: dict[str, set[float]] = {}
        for row in rows:
            value = row.get("leverage")
            if value not in (None, ""):
                found.setdefault(str(row["symbol"]), set()).add(float(value))
        return found

    def position_row(self, category: str, market_id: str) -> dict[str, Any]:
        """The position row of one symbol; Bybit returns one even when flat (size 0)."""
        request = {"category": category, "symbol": market_id}
        response = self._call(
            Endpoint.POSITION_LIST, lambda: self._exchange.privateGetV5PositionList(request)
        )
        rows = (response.get("result") or {}).get("list") or []
        return dict(rows[0]) if rows else {}
