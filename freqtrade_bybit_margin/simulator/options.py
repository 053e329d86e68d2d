"""
Seeded option positions, so that ``GET /v5/position/list?category=option`` of a shared
account shows them (the simulator does not trade options: no option instruments are listed,
and ``instruments-info?category=option`` stays empty as freqtrade's market load expects).

Row fields: https://bybit-exchange.github.io/docs/v5/position (option rows carry no leverage,
risk limit or liquidation price; greeks are reported).
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.simulator.formatting import fmt, fmt8


#: ``BTC-27DEC24-60000-C``, optionally ``-USDT`` for USDT-settled options
OPTION_SYMBOL = re.compile(r"^([A-Z0-9]+)-\d{1,2}[A-Z]{3}\d{2}-\d+(?:\.\d+)?-[CP](-USDT)?$")


def parse_option_symbol(symbol: str) -> tuple[str, str]:
    """``(baseCoin, settleCoin)`` of an option symbol.

    :raise ValueError: naming the symbol and the allowed shape
    """
    match = OPTION_SYMBOL.match(symbol)
    if match is None:
        raise ValueError(
            f"option symbol {symbol!r} is not allowed; allowed: BASE-DMMMYY-STRIKE-C|P"
            "[-USDT], e.g. BTC-27DEC24-60000-C"
        )
    return match.group(1), "USDT" if match.group(2) else "USDC"


@dataclass
class OptionPosition:
    """An option position seeded for reading; ``side`` is ``"Buy"`` or ``"Sell"``."""

    symbol: str
    side: str
    size: Decimal
    avg_price: Decimal
    mark_price: Decimal
    created_ms: int
    seq: int

    @property
    def base(self) -> str:
        """The base coin (``BTC`` of ``BTC-27DEC24-60000-C``)."""
        return parse_option_symbol(self.symbol)[0]

    @property
    def settle(self) -> str:
        """The settle coin (USDC, or USDT for ``-USDT`` symbols)."""
        return parse_option_symbol(self.symbol)[1]

    def to_row(self) -> dict[str, Any]:
        """This position's ``/v5/position/list?category=option`` row."""
        direction = 1 if self.side == "Buy" else -1
        upnl = (self.mark_price - self.avg_price) * self.size * direction
        return {
            "positionIdx": 0,
            "riskId": 0,
            "riskLimitValue": "",
            "symbol": self.symbol,
            "side": self.side,
            "size": fmt(self.size),
            "avgPrice": fmt(self.avg_price),
            "positionValue": fmt8(self.size * self.mark_price),
            "tradeMode": 0,
            "autoAddMargin": 0,
            "positionStatus": "Normal",
            "leverage": "",
            "markPrice": fmt(self.mark_price),
            "liqPrice": "",
            "bustPrice": "",
            "positionIM": "",
            "positionMM": "",
            "positionBalance": "",
            "tpslMode": "",
            "takeProfit": "",
            "stopLoss": "",
            "trailingStop": "",
            "sessionAvgPrice": fmt(self.avg_price),
            "delta": "0.5",
            "gamma": "0.0001",
            "vega": "1",
            "theta": "-1",
            "unrealisedPnl": fmt8(upnl),
            "curRealisedPnl": "0",
            "cumRealisedPnl": "0",
            "adlRankIndicator": 0,
            "isReduceOnly": False,
            "mmrSysUpdatedTime": "",
            "leverageSysUpdatedTime": "",
            "createdTime": str(self.created_ms),
            "updatedTime": str(self.created_ms),
            "seq": self.seq,
        }


class OptionBook:
    """Seeded option positions by symbol."""

    def __init__(self) -> None:
        self.positions: dict[str, OptionPosition] = {}

    def rows(self, *, symbol: str | None, base_coin: str | None) -> list[dict[str, Any]]:
        """Rows of open option positions, sorted by symbol, filtered like Bybit's query."""
        return [
            p.to_row()
            for s, p in sorted(self.positions.items())
            if p.size > 0 and symbol in (None, s) and base_coin in (None, p.base)
        ]

    def symbols(self) -> list[str]:
        """Option symbols with a position."""
        return sorted(s for s, p in self.positions.items() if p.size > 0)
