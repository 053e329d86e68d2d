"""
The simulator's instrument catalogue (what ``/v5/market/instruments-info`` serves): each
:class:`Instrument` renders its own row and checks orders against its own filters.

Shapes follow https://bybit-exchange.github.io/docs/v5/market/instrument ; numbers are
realistic but invented.
"""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.exceptions import LeverageRiskLimitError, ParamsError
from freqtrade_bybit_margin.simulator.formatting import fmt


#: ``launchTime`` of every simulated instrument (2020-03-30, like BTCUSDT on Bybit).
LAUNCH_TIME_MS = 1585526400000
DERIVATIVES = (Category.LINEAR, Category.INVERSE)


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
        return self.category in DERIVATIVES

    def check_leverage(self, leverage: Decimal) -> None:
        """Leverage within ``leverageFilter`` and on its step.

        The simulator's own copy of the leverage rule (the client validates independently).
        https://bybit-exchange.github.io/docs/v5/market/instrument (leverageFilter). Below the
        minimum or off the step is a parameter error; above the (live) maximum Bybit answers
        110013 "cannot set leverage [X] gt maxLeverage [Y] by risk limit" (values x100,
        reference bybit-v5-margin.md, "Corrections and additions (2026-12-02)"). The step is
        checked first so that the x100 values are integers.

        :param leverage: the requested leverage
        :raise ParamsError: 10001 below the minimum or off the step, naming the value
        :raise LeverageRiskLimitError: 110013 above ``maxLeverage``
        """
        if leverage < self.min_leverage:
            raise ParamsError(
                f"leverage {fmt(leverage)} outside [{fmt(self.min_leverage)}, "
                f"{fmt(self.max_leverage)}] for {self.symbol}"
            )
        if (leverage - self.min_leverage) % self.leverage_step != 0:
            raise ParamsError(
                f"leverage {fmt(leverage)} is not a multiple of leverageStep "
                f"{fmt(self.leverage_step)} for {self.symbol}"
            )
        if leverage > self.max_leverage:
            raise LeverageRiskLimitError.above_max(leverage, self.max_leverage)

    def check_order(self, qty: Decimal, price: Decimal | None) -> None:
        """Quantity and (limit) price against ``lotSizeFilter`` / ``priceFilter``.

        https://bybit-exchange.github.io/docs/v5/order/create-order

        :param qty: order quantity
        :param price: limit price, ``None`` for a market order
        :raise ParamsError: 10001 naming the value and the filter
        """
        if self.status != "Trading":
            raise ParamsError(f"params error: {self.symbol} is not trading")
        if qty < self.min_qty or qty > self.max_qty:
            raise ParamsError(
                f"Qty invalid: {fmt(qty)} outside [{fmt(self.min_qty)}, {fmt(self.max_qty)}]"
            )
        if qty % self.qty_step != 0:
            raise ParamsError(f"Qty invalid: {fmt(qty)} is not a multiple of {fmt(self.qty_step)}")
        if price is not None and price % self.tick_size != 0:
            raise ParamsError(
                f"Price invalid: {price} is not a multiple of tickSize {self.tick_size}"
            )

    def to_row(self) -> dict[str, Any]:
        """One ``/v5/market/instruments-info`` row (spot and derivatives differ)."""
        if self.category is Category.SPOT:
            return self._spot_row()
        return {
            "symbol": self.symbol,
            "contractType": self.contract_type,
            "status": self.status,
            "baseCoin": self.base,
            "quoteCoin": self.quote,
            "launchTime": str(LAUNCH_TIME_MS),
            "deliveryTime": "0",
            "deliveryFeeRate": "",
            "priceScale": str(max(-int(self.tick_size.normalize().as_tuple().exponent), 0)),
            "leverageFilter": {
                "minLeverage": fmt(self.min_leverage),
                "maxLeverage": f"{self.max_leverage:.2f}",
                "leverageStep": str(self.leverage_step),
            },
            "priceFilter": {
                "minPrice": fmt(self.tick_size),
                "maxPrice": fmt(self.base_price * 20),
                "tickSize": fmt(self.tick_size),
            },
            "lotSizeFilter": {
                "maxOrderQty": fmt(self.max_qty),
                "maxMktOrderQty": fmt(self.max_qty / 5),
                "minOrderQty": fmt(self.min_qty),
                "qtyStep": fmt(self.qty_step),
                "postOnlyMaxOrderQty": fmt(self.max_qty),
                "minNotionalValue": "5" if self.category is Category.LINEAR else "",
            },
            "unifiedMarginTrade": True,
            "fundingInterval": self.funding_interval_min,
            "settleCoin": self.settle,
            "copyTrading": "both",
            "upperFundingRate": "0.005",
            "lowerFundingRate": "-0.005",
            "isPreListing": False,
            "preListingInfo": None,
            "displayName": "",
            "symbolType": "",
        }

    def _spot_row(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "baseCoin": self.base,
            "quoteCoin": self.quote,
            "innovation": "0",
            "status": self.status,
            "marginTrading": "utaOnly",
            "stTag": "0",
            "lotSizeFilter": {
                "basePrecision": fmt(self.qty_step),
                "quotePrecision": "0.00000001",
                "minOrderQty": fmt(self.min_qty),
                "maxOrderQty": fmt(self.max_qty),
                "minOrderAmt": "1",
                "maxOrderAmt": "4000000",
            },
            "priceFilter": {"tickSize": fmt(self.tick_size)},
        }


#: ``status`` values of instruments-info (docs/v5/enum "status"; the bybit-api SDK's
#: ``InstrumentStatusV5``: PreLaunch, Trading, Settling (USDC perpetuals' 8-hourly settlement),
#: Delivering, Closed). The request's ``status`` defaults to Trading for linear and inverse, so
#: only Trading and, when asked for, PreLaunch instruments are listed (docs/v5/market/instrument).
STATUSES = frozenset({"PreLaunch", "Trading", "Settling", "Delivering", "Closed"})


class Catalogue:
    """Every instrument of the simulated exchange, looked up by category and symbol.

    :param instruments: the instruments served
    """

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self.instruments = list(instruments)
        self._by_category = {(i.category, i.symbol): i for i in self.instruments}
        self.derivatives = {i.symbol: i for i in self.instruments if i.is_derivative}

    def set_max_leverage(self, symbol: str, max_leverage: Decimal) -> Instrument:
        """Replace the derivative ``symbol`` by a copy with another ``maxLeverage``.

        :return: the new instrument
        :raise KeyError: for a symbol that is not a derivative of the catalogue
        """
        return self._replace(symbol, max_leverage=max_leverage)

    def set_status(self, symbol: str, status: str) -> Instrument:
        """Replace the derivative ``symbol`` by a copy with another ``status``.

        :return: the new instrument
        :raise KeyError: for a symbol that is not a derivative of the catalogue
        :raise ValueError: for a status Bybit does not document
        """
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not allowed; allowed: {sorted(STATUSES)}")
        return self._replace(symbol, status=status)

    def _replace(self, symbol: str, **changes: Any) -> Instrument:
        """Replace the derivative ``symbol`` by a copy with ``changes``, everywhere."""
        old = self.derivatives[symbol]
        new = dataclasses.replace(old, **changes)
        self.instruments = [new if i is old else i for i in self.instruments]
        self._by_category[(new.category, symbol)] = new
        self.derivatives[symbol] = new
        return new

    def get(self, category: Category, symbol: str) -> Instrument | None:
        """The instrument or ``None``."""
        return self._by_category.get((category, symbol))

    def instrument(self, category: str, symbol: str) -> Instrument:
        """The instrument ``symbol`` of ``category``.

        :raise ParamsError: 10001 when there is none
        """
        try:
            return self._by_category[(Category(category), symbol)]
        except (KeyError, ValueError):
            raise ParamsError(f"params error: symbol invalid ({category} {symbol})") from None

    def derivative(self, category: str, symbol: str) -> Instrument:
        """A linear or inverse instrument.

        :raise ParamsError: 10001 for another category or an unknown symbol
        """
        if category not in DERIVATIVES:
            raise ParamsError(f"params error: category {category!r} not supported here")
        return self.instrument(category, symbol)

    def in_category(self, category: str) -> list[Instrument]:
        """Every instrument of ``category`` in catalogue order."""
        return [i for i in self.instruments if i.category == category]

    def coins(self) -> list[str]:
        """Base coins plus the settle stablecoins, sorted."""
        return sorted({i.base for i in self.instruments} | {"USDT", "USDC"})


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


def _spot(base: str, price: str, step: str, min_qty: str, max_qty: str) -> Instrument:
    return Instrument(
        f"{base}USDT",
        Category.SPOT,
        base,
        "USDT",
        "",
        Decimal(price),
        Decimal("0.01"),
        Decimal(step),
        Decimal(min_qty),
        Decimal(max_qty),
    )


def default_instruments(extra_linear_symbols: int = 0) -> list[Instrument]:
    """The default catalogue plus ``extra_linear_symbols`` generated USDT perps (S001USDT...).

    :param extra_linear_symbols: how many generated perps to add
    :return: the instruments
    """
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
        _spot("BTC", "60000", "0.000001", "0.000048", "71.73956243"),
        _spot("ETH", "3000", "0.00001", "0.00062", "1229.2336343"),
    ]
    for i in range(1, extra_linear_symbols + 1):
        price = str(Decimal(1) + Decimal(i) / 100)
        items.append(_perp(f"S{i:03d}USDT", f"S{i:03d}", price, "0.0001", "1", "1000000", "50"))
    return items
