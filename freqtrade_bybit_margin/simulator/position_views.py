"""
:class:`PositionViews`: how the account's positions and leverage settings read back
(``GET /v5/position/list``, ``GET /v5/position/symbol-info``, and the tests' ``symbol_state``),
mixed into :class:`~.backend.AccountBackend`.

https://bybit-exchange.github.io/docs/v5/position : with ``symbol`` data is returned
"regardless of having position or not"; with only ``settleCoin`` "it returns position size
greater than zero". Hedge mode: one row per side (``positionIdx`` 1 and 2) and ``list[0]`` may
be the empty side (pybit issue 367). Portfolio margin: ``leverage`` ``""``, ``riskId`` 0,
``riskLimitValue`` 0, ``liqPrice`` / ``positionIM`` / ``positionMM`` empty.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountType, Category
from freqtrade_bybit_margin.simulator.exceptions import (
    CategoryNotServedError,
    ParamsError,
    SimulatorApiError,
)
from freqtrade_bybit_margin.simulator.formatting import fmt
from freqtrade_bybit_margin.simulator.instruments import Catalogue, Instrument
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.margin import MarginRules
from freqtrade_bybit_margin.simulator.matching import OrderBook
from freqtrade_bybit_margin.simulator.options import OptionBook
from freqtrade_bybit_margin.simulator.positionmode import PositionModes
from freqtrade_bybit_margin.simulator.positions import PositionBook


#: the fields portfolio margin empties or zeroes in a position row (position.mdx)
PORTFOLIO_FIELDS: dict[str, Any] = {
    "leverage": "",
    "riskId": 0,
    "riskLimitValue": "0",
    "liqPrice": "",
    "positionIM": "",
    "positionMM": "",
}
#: retMsg of symbol-info under portfolio margin (the page's own sentence; Bybit's text unknown)
PM_SYMBOL_INFO_MSG = "Under Portfolio Margin mode, this endpoint returns an error"


class PositionViews:
    """Read-back of positions and leverage settings (see the module docstring)."""

    account_type: AccountType
    catalogue: Catalogue
    knobs: SimKnobs
    clock: Callable[[], int]
    margin: MarginRules
    modes: PositionModes
    positions: PositionBook
    options: OptionBook
    book: OrderBook

    def mark(self, inst: Instrument) -> Decimal:
        """Current mark price of ``inst`` (the backend's)."""
        raise NotImplementedError

    def row_indices(self, inst: Instrument) -> tuple[int, ...]:
        """``positionIdx`` values of a symbol's rows: ``(0,)``, or the hedge sides in the
        order of ``SimKnobs.hedge_row_order``."""
        return tuple(self.knobs.hedge_row_order) if self.modes.is_hedge(inst) else (0,)

    def position_rows(
        self,
        *,
        category: str,
        symbol: str | None,
        settle_coin: str | None,
        base_coin: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of ``GET /v5/position/list`` before paging.

        :raise SimulatorApiError: 10001 (linear without symbol or settleCoin), HTTP 404
            (``option`` on a Classic account, docs/pilot-feature "Normal account is supported
            by V5 API": "404 ... use Normal account to access category=option/spot")
        """
        if category == Category.OPTION:
            if self.account_type == AccountType.CLASSIC:
                raise CategoryNotServedError("category option is not served for a Classic account")
            return self.options.rows(symbol=symbol, base_coin=base_coin)
        if symbol:
            inst = self.catalogue.derivative(category, symbol)
            return [self.position_row(inst, idx) for idx in self.row_indices(inst)]
        if category == Category.LINEAR and not settle_coin:
            raise ParamsError("params error: symbol or settleCoin is required for linear")
        if category not in (Category.LINEAR, Category.INVERSE):
            raise ParamsError(f"params error: category {category!r} not supported")
        order = self.knobs.hedge_row_order
        held = sorted(
            self.positions.open_positions(),
            key=lambda p: (p.inst.symbol, order.index(p.idx) if p.idx in order else 0),
        )
        return [
            self.position_row(self.catalogue.derivatives[p.inst.symbol], p.idx)
            for p in held
            if p.inst.category == category and settle_coin in (None, p.inst.settle)
        ]

    def position_row(self, inst: Instrument, idx: int = 0) -> dict[str, Any]:
        """The ``/v5/position/list`` row of ``inst``'s ``positionIdx`` ``idx`` (flat or open)."""
        now = self.clock()
        trade_mode = self.margin.row_trade_mode(inst)
        pos = self.positions.get(inst.symbol, idx)
        if pos is not None:
            row = pos.to_row(trade_mode=trade_mode, mark=self.mark(inst), now_ms=now)
        else:
            row = self.margin.settings_of(inst.symbol).flat_row(
                inst,
                trade_mode=trade_mode,
                side=self.margin.flat_side(inst),
                mark=self.mark(inst),
                now_ms=now,
                idx=idx,
            )
        if self.margin.portfolio:
            row.update(PORTFOLIO_FIELDS)
        return row

    def symbol_info(self, *, category: str, symbol: str | None) -> list[dict[str, Any]]:
        """``GET /v5/position/symbol-info`` rows (one per ``positionIdx``).

        :raise SimulatorApiError: ``SimKnobs.pm_symbol_info_ret_code`` under portfolio margin
            ("Under Portfolio Margin mode, this endpoint returns an error", batch-lvg.mdx)
        """
        if self.margin.portfolio:
            code = self.knobs.pm_symbol_info_ret_code
            raise SimulatorApiError(PM_SYMBOL_INFO_MSG, code=code)
        if symbol:
            insts = [self.catalogue.derivative(category, symbol)]
        else:
            insts = [i for i in self.catalogue.in_category(category) if i.is_derivative]
        return self.margin.symbol_info_rows(insts, self.row_indices)

    def symbol_state(self, symbol: str) -> dict[str, Any]:
        """Margin, position mode, position and order state of a derivative for tests.

        ``position_*`` describe the one-way position (hedge: the first open side);
        ``positions`` lists every open side.

        :raise KeyError: for a symbol that is not a derivative of the catalogue
        """
        inst = self.catalogue.derivatives[symbol]
        held = self.positions.of_symbol(symbol)
        pos = held[0] if held else None
        settings = self.margin.settings_of(symbol)
        return {
            "trade_mode": self.margin.effective_trade_mode(inst),
            "leverage": fmt(settings.leverage),
            "sell_leverage": fmt(settings.sell_leverage),
            "max_leverage": fmt(inst.max_leverage),
            "position_mode": self.modes.mode(inst),
            "position_size": fmt(pos.size) if pos else "0",
            "position_side": pos.side if pos else "",
            "position_leverage": fmt(pos.leverage) if pos else "",
            "positions": [
                {
                    "idx": p.idx,
                    "side": p.side,
                    "size": fmt(p.size),
                    "leverage": fmt(p.leverage),
                    "reduce_only": p.reduce_only,
                    "leverage_sys_ms": p.leverage_sys_ms,
                }
                for p in held
            ],
            "open_orders": len(self.book.open_orders(symbol)),
        }
