"""
The position book: one-way positions per symbol, opened, extended, reduced and flipped by
fills; realised PnL goes to the wallet.
"""

from decimal import Decimal

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.entities import Position, Sequence
from freqtrade_bybit_margin.simulator.instruments import Instrument
from freqtrade_bybit_margin.simulator.wallet import Wallet


class PositionBook:
    """Open positions of the account (``positionIdx`` 0 only).

    :param wallet: receives realised PnL
    :param seq: the account's sequence numbers
    """

    def __init__(self, wallet: Wallet, seq: Sequence) -> None:
        self.wallet = wallet
        self.seq = seq
        self.positions: dict[str, Position] = {}

    def get(self, symbol: str) -> Position | None:
        """The open position of ``symbol`` or ``None``."""
        return self.positions.get(symbol)

    def open_positions(self) -> list[Position]:
        """Positions with a size above zero."""
        return [p for p in self.positions.values() if p.size > 0]

    def size(self, symbol: str) -> Decimal:
        """Size of the position on ``symbol`` (0 when flat)."""
        pos = self.positions.get(symbol)
        return pos.size if pos is not None else Decimal(0)

    def set_leverage(self, symbol: str, leverage: Decimal, now: int) -> None:
        """Apply a leverage change to the open position of ``symbol``, if any."""
        pos = self.positions.get(symbol)
        if pos is not None:
            pos.leverage = leverage
            pos.updated_ms = now

    def apply(
        self,
        inst: Instrument,
        side: str,
        qty: Decimal,
        price: Decimal,
        *,
        leverage: Decimal,
        now: int,
    ) -> Decimal:
        """Open, extend, reduce or flip the symbol's position with one fill.

        :param inst: the symbol
        :param side: ``"Buy"`` or ``"Sell"``
        :param qty: filled quantity
        :param price: fill price
        :param leverage: the symbol's leverage now
        :param now: the clock
        :return: the size closed by this fill
        """
        pos = self.positions.get(inst.symbol)
        if pos is None or pos.size == 0:
            self._open(inst, side, qty, price, leverage, now)
            return Decimal(0)
        pos.updated_ms = now
        pos.seq = self.seq.next()
        if pos.side == side:
            if inst.category is Category.INVERSE:
                pos.avg_price = (pos.size + qty) / (pos.size / pos.avg_price + qty / price)
            else:
                pos.avg_price = (pos.avg_price * pos.size + price * qty) / (pos.size + qty)
            pos.avg_price = pos.avg_price.quantize(inst.tick_size / 1000)
            pos.size += qty
            pos.leverage = leverage
            return Decimal(0)
        closed = min(qty, pos.size)
        closing = Position(inst, pos.side, closed, pos.avg_price, pos.leverage, now, now, 0)
        pnl = closing.unrealised(price)
        pos.cum_realised += pnl
        self.wallet.credit(inst.settle, pnl)
        pos.size -= closed
        if pos.size == 0:
            del self.positions[inst.symbol]
            if qty > closed:
                self._open(inst, side, qty - closed, price, leverage, now)
        return closed

    def _open(
        self, inst: Instrument, side: str, qty: Decimal, price: Decimal, lev: Decimal, now: int
    ) -> None:
        self.positions[inst.symbol] = Position(
            inst, side, qty, price, lev, now, now, self.seq.next()
        )
