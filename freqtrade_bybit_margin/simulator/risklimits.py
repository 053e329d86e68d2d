"""
Risk limits: the paged ``GET /v5/market/risk-limit`` list and Bybit lowering a symbol's
maximum leverage by itself.

Since 2024-03-12 risk limits are automatic (``set-risk-limit`` moved to the deprecated pages):
Bybit lowers a symbol's maximum itself and may force a position's leverage down, reporting it
in position/list as ``isReduceOnly`` and ``leverageSysUpdatedTime`` ("When isReduceOnly=true:
the timestamp (ms) when the leverage will be forcibly adjusted by the system; When
isReduceOnly=false: the timestamp when the leverage had been adjusted by system",
https://bybit-exchange.github.io/docs/v5/position). The risk-limit list pages 15 symbols per
response since 2024-12-12 (reference bybit-v5-margin.md, "Corrections and additions
(2026-12-02)").
"""

from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.simulator.entities import Position, SymbolSettings
from freqtrade_bybit_margin.simulator.instruments import Catalogue, Instrument
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.margin import MarginRules
from freqtrade_bybit_margin.simulator.market_data import risk_tiers
from freqtrade_bybit_margin.simulator.matching import OrderBook
from freqtrade_bybit_margin.simulator.params import CURSOR_PREFIX, paginate
from freqtrade_bybit_margin.simulator.positions import PositionBook


def risk_limit_result(
    catalogue: Catalogue, knobs: SimKnobs, *, category: str, symbol: str | None, cursor: str | None
) -> dict[str, Any]:
    """The ``result`` of ``/v5/market/risk-limit``.

    With ``symbol``: that symbol's tiers, one page. Without: symbols in alphabetical order
    (the order that left late-alphabet pairs without tiers when ccxt stopped early, ccxt issue
    29721), ``SimKnobs.risk_limit_symbols_per_page`` per page with all their tiers, minus
    ``risk_limit_symbols_omitted``, and no cursor after ``risk_limit_max_pages`` pages.

    https://bybit-exchange.github.io/docs/v5/market/risk-limit
    """
    insts = [i for i in catalogue.in_category(category) if i.is_derivative]
    if symbol:
        rows = [t for i in insts if i.symbol == symbol for t in risk_tiers(i)]
        return {"category": category, "list": rows, "nextPageCursor": ""}
    omitted = set(knobs.risk_limit_symbols_omitted)
    listed = sorted((i for i in insts if i.symbol not in omitted), key=lambda i: i.symbol)
    per_page = knobs.risk_limit_symbols_per_page
    page, nxt = paginate(listed, limit=per_page, cursor=cursor)
    if knobs.risk_limit_max_pages is not None and nxt:
        pages_served = int(nxt.removeprefix(CURSOR_PREFIX)) // per_page
        if pages_served >= knobs.risk_limit_max_pages:
            nxt = ""
    rows = [t for i in page for t in risk_tiers(i)]
    return {"category": category, "list": rows, "nextPageCursor": nxt}


def check_max_leverage(inst: Instrument, value: Decimal) -> None:
    """A new maximum must be a leverage the instrument's filter could take.

    :raise ValueError: naming the value and what is allowed
    """
    if not value.is_finite() or value < inst.min_leverage:
        raise ValueError(
            f"max_leverage {value} for {inst.symbol} is not allowed; allowed: a number >= "
            f"{inst.min_leverage}"
        )
    if (value - inst.min_leverage) % inst.leverage_step != 0:
        raise ValueError(
            f"max_leverage {value} for {inst.symbol} is not allowed; allowed: a multiple of "
            f"leverageStep {inst.leverage_step}"
        )


def cap_now(
    settings: SymbolSettings, positions: list[Position], max_leverage: Decimal, now_ms: int
) -> None:
    """Force the symbol's leverage settings and positions down to ``max_leverage`` now,
    stamping ``leverageSysUpdatedTime`` on each position changed (``isReduceOnly`` cleared)."""
    settings.leverage = min(settings.leverage, max_leverage)
    settings.sell_leverage = min(settings.sell_leverage, max_leverage)
    for pos in positions:
        if pos.leverage > max_leverage or pos.reduce_only:
            pos.leverage = min(pos.leverage, max_leverage)
            pos.leverage_sys_ms = now_ms
            pos.reduce_only = False
            pos.updated_ms = now_ms


def cap_later(positions: list[Position], max_leverage: Decimal, due_ms: int) -> None:
    """Announce a forced cut: positions above ``max_leverage`` become reduce-only with
    ``leverageSysUpdatedTime`` = when the system will adjust them."""
    for pos in positions:
        if pos.leverage > max_leverage:
            pos.reduce_only = True
            pos.leverage_sys_ms = due_ms


class LeverageCaps:
    """Bybit changing a symbol's maximum leverage by itself, and the forced cuts it announced.

    :param catalogue: where the maximum lives (instruments-info, tiers, set-leverage)
    :param margin: the symbols' leverage settings
    :param positions: the positions a forced cut lowers
    :param book: the orders whose instrument follows the change
    """

    def __init__(
        self, catalogue: Catalogue, margin: MarginRules, positions: PositionBook, book: OrderBook
    ) -> None:
        self.catalogue = catalogue
        self.margin = margin
        self.positions = positions
        self.book = book
        #: symbol -> (when, new maximum) of an announced forced cut
        self.pending: dict[str, tuple[int, Decimal]] = {}

    def set_max(
        self, symbol: str, max_leverage: Decimal, *, force: bool, grace_ms: int | None, now: int
    ) -> None:
        """New maximum at once; ``force``: cut the symbol's leverage and positions down to it
        now (``grace_ms`` None) or after ``grace_ms`` (positions reduce-only meanwhile).

        :raise KeyError: unknown derivative; ValueError: a maximum the filter cannot take
        """
        check_max_leverage(self.catalogue.derivatives[symbol], max_leverage)
        inst = self.catalogue.set_max_leverage(symbol, max_leverage)
        for pos in self.positions.of_symbol(symbol):
            pos.inst = inst
        for order in self.book.orders.values():
            if order.inst.symbol == symbol:
                order.inst = inst
        self.pending.pop(symbol, None)
        if force and grace_ms:
            cap_later(self.positions.of_symbol(symbol), max_leverage, now + grace_ms)
            self.pending[symbol] = (now + grace_ms, max_leverage)
        elif force:
            self._cap(symbol, max_leverage, now)

    def tick(self, now: int) -> None:
        """Apply the announced cuts that fell due."""
        for symbol, (due, max_leverage) in list(self.pending.items()):
            if now >= due:
                del self.pending[symbol]
                self._cap(symbol, max_leverage, due)

    def _cap(self, symbol: str, max_leverage: Decimal, when: int) -> None:
        settings = self.margin.settings_of(symbol)
        cap_now(settings, self.positions.of_symbol(symbol), max_leverage, when)
