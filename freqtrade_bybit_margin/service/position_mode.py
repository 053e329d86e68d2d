"""
A symbol's position mode (one-way / hedge), read from the rows Bybit already returned, and the
words every view of it uses.

Bybit's priority is "symbol > coin > system default"
(https://bybit-exchange.github.io/docs/v5/position/position-mode): freqtrade's startup switch is
coin-level (``switch-mode`` with ``coin``) and leaves a symbol-level hedge setting in place. A
hedge-mode symbol answers ``position/list?symbol=`` and ``position/symbol-info`` with one row per
side (``positionIdx`` 1 and 2, https://bybit-exchange.github.io/docs/v5/enum#positionidx), and
``list[0]`` can be the empty side (pybit issue 367); every freqtrade order (``positionIdx`` 0)
is refused there with 10001 "position idx not match position mode" (ccxt issue 24848).

:func:`fold` makes one row of a symbol's rows, the one its state is read from: the open side's
(never the empty side's leverage or mode as the pair's). ``state_of`` marks a state hedged from
it (:func:`is_hedge`), whichever read the rows came from: the bulk reads of the survey, the
one-symbol read, or the entry proof's read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import PositionIdx
from freqtrade_bybit_margin.markets import finite_decimal


__all__ = [
    "HEDGE",
    "ONE_WAY",
    "SWITCHED",
    "SWITCH_NOTE",
    "blocked_reason",
    "contention_key",
    "fold",
    "is_hedge",
    "position_idx",
]

ONE_WAY = "one-way"
HEDGE = "hedge"
#: The plan's note for a flat hedged pair (the decision's reason).
SWITCH_NOTE = (
    "hedge mode: to one-way first (POST /v5/position/switch-mode; freqtrade's orders are "
    "one-way), then margin mode and leverage"
)
#: A confirmed result's reason once a hedged pair was switched.
SWITCHED = "was in hedge mode, switched to one-way"
#: How many of the symbol's rows a folded row stands for (two rows are hedge mode, whatever
#: their ``positionIdx`` says).
_ROWS = "_rows"
_HEDGE_SIDES = frozenset({PositionIdx.BUY_SIDE, PositionIdx.SELL_SIDE})


def position_idx(row: Mapping[str, Any]) -> int | None:
    """The row's ``positionIdx``; None when absent or not a number."""
    value = finite_decimal(row.get("positionIdx"))
    return int(value) if value is not None else None


def is_hedge(row: Mapping[str, Any]) -> bool:
    """The row is a hedge side (``positionIdx`` 1 or 2), or stands for two rows of a symbol."""
    return position_idx(row) in _HEDGE_SIDES or int(row.get(_ROWS) or 1) > 1


def _size(row: Mapping[str, Any]) -> Decimal:
    return finite_decimal(row.get("size")) or Decimal(0)


def fold(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """
    One symbol's rows as the one row its state is read from.

    One-way: the row itself. Hedge: the open side's row; with both sides open, their sizes
    added (side ``Buy+Sell``); the leverage only where the rows it comes from agree (with no
    side open, both sides'), else unknown.

    :param rows: the rows of one symbol, as Bybit returned them
    :return: None when there is no row
    """
    if not rows:
        return None
    if len(rows) == 1:
        return dict(rows[0])
    opened = [row for row in rows if _size(row) > 0]
    source = opened or list(rows)
    leverages = {finite_decimal(row.get("leverage")) for row in source}
    row = dict(source[0])
    row[_ROWS] = len(rows)
    row["leverage"] = next(iter(leverages)) if len(leverages) == 1 else None
    if len(opened) > 1:
        row["size"] = sum((_size(side) for side in opened), Decimal(0))
        row["side"] = "+".join(sorted({str(side.get("side") or "") for side in opened}))
    return row


def blocked_reason(busy_reason: str, symbol: str) -> str:
    """Why a hedged pair with a position or order is neither switched nor traded."""
    return (
        f"hedge mode with {busy_reason}: freqtrade's one-way orders are refused there, and a "
        f"symbol with a position or order is never switched; once they are closed, {symbol} "
        "is switched to one-way"
    )


def contention_key(pair: str) -> str:
    """The contention guard's key for the pair's position mode (another client setting hedge
    again and again is not switched back without bound)."""
    return f"{pair} position mode"
