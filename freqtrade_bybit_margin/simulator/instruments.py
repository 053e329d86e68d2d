"""
The simulator's instrument catalogue (what ``/v5/market/instruments-info`` serves).

Shapes follow https://bybit-exchange.github.io/docs/v5/market/instrument ; numbers are
realistic but invented.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Category


logger = logging.getLogger(__name__)

#: ``launchTime`` of every simulated instrument (2020-03-30, like BTCUSDT on Bybit).
LAUNCH_TIME_MS = 1585526400000


@dataclass(frozen=True)
class Instrument:
    """One tradable instrument and its filters."""

    symbol: str
    category: Category
    base: str
    quote: str
    settle: str
    base_price: Decimal
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    max_leverage: Decimal = Decimal("50")
    min_leverage: Decimal = Decimal("1")
    leverage_step: Decimal = Decimal("0.01")
    funding_interval_min: int = 480
    status: str = "Trading"

    @property
    def contract_type(self) -> str:
        """``contractType`` (``""`` for spot)."""
        if self.category is Category.LINEAR:
            return "LinearPerpetual"
        if self.category is Category.INVERSE:
            return "InversePerpetual"
        return ""

    @property
    def is_derivative(self) -> bool:
        """True for linear and inverse contracts."""
        return self.category in (Category.LINEAR, Category.INVERSE)


def _perp(
    symbol: str,
    base: str,
    price: str,
    tick: str,
    step: str,
    max_qty: str,
    max_lev: str,
    *,
    category: Category = Category.LINEAR,
    quote: str = "USDT",
    settle: str = "USDT",
) -> Instrument:
    return Instrument(
        symbol=symbol,
        category=category,
        base=base,
        quote=quote,
        settle=settle,
        base_price=Decimal(price),
        tick_size=Decimal(tick),
        qty_step=Decimal(step),
        min_qty=Decimal(step),
        max_qty=Decimal(max_qty),
        max_leverage=Decimal(max_lev),
    )


def _inverse(base: str) -> dict[str, Any]:
    return {"category": Category.INVERSE, "quote": "USD", "settle": base}


def default_instruments(extra_linear_symbols: int = 0) -> list[Instrument]:
    """The default catalogue plus ``extra_linear_symbols`` generated USDT perps (S001USDT...)."""
    items = [
        _perp("BTCUSDT", "BTC", "60000", "0.10", "0.001", "500", "100"),
        _perp("ETHUSDT", "ETH", "3000", "0.01", "0.01", "7000", "100"),
        _perp("SOLUSDT", "SOL", "150", "0.010", "0.1", "80000", "50"),
        _perp("XRPUSDT", "XRP", "0.6", "0.0001", "1", "5000000", "50"),
        _perp("DOGEUSDT", "DOGE", "0.15", "0.00001", "1", "30000000", "50"),
        _perp("ADAUSDT", "ADA", "0.45", "0.0001", "1", "7000000", "50"),
        _perp("LINKUSDT", "LINK", "15", "0.001", "0.1", "300000", "50"),
        _perp("AVAXUSDT", "AVAX", "30", "0.001", "0.1", "150000", "50"),
        _perp("BTCUSD", "BTC", "60000", "0.50", "1", "1000000", "100", **_inverse("BTC")),
        _perp("ETHUSD", "ETH", "3000", "0.05", "1", "1000000", "50", **_inverse("ETH")),
        # USDC-settled linear perpetual (Bybit quotes it in USD, settles in USDC)
        _perp("BTCPERP", "BTC", "60000", "0.50", "0.001", "100", "100", quote="USD", settle="USDC"),
        Instrument(
            "BTCUSDT",
            Category.SPOT,
            "BTC",
            "USDT",
            "",
            Decimal("60000"),
            Decimal("0.01"),
            Decimal("0.000001"),
            Decimal("0.000048"),
            Decimal("71.73956243"),
        ),
        Instrument(
            "ETHUSDT",
            Category.SPOT,
            "ETH",
            "USDT",
            "",
            Decimal("3000"),
            Decimal("0.01"),
            Decimal("0.00001"),
            Decimal("0.00062"),
            Decimal("1229.2336343"),
        ),
    ]
    for i in range(1, extra_linear_symbols + 1):
        price = str(Decimal(1) + Decimal(i) / 100)
        items.append(_perp(f"S{i:03d}USDT", f"S{i:03d}", price, "0.0001", "1", "1000000", "50"))
    return items
