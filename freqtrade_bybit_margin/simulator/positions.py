"""
The position book: positions per symbol and ``positionIdx`` (0 one-way; 1 / 2 the Buy and
Sell sides of a hedge-mode symbol), opened, extended, reduced and (one-way only) flipped by
fills; realised PnL goes to the wallet.
"""

from decimal import Decimal

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.entities import Position, Sequence
from freqtrade_bybit_margin.simulator.instruments import Instrument
from freqtrade_bybit_margin.simulator.wallet import Wallet


#: (symbol, positionIdx)
PositionKey = tuple[str, int]


class PositionBook:
    """Open positions of the account.

    :param wallet: receives realised PnL
    :param seq: the account's sequence numbers
    """

    def __init__(self, wallet: Wallet, seq: Sequence) -> None:
        self.wallet = wallet
        self.seq = seq
        self.positions: dict[PositionKey, Position] = {}

    def get(self, symbol: str, idx: int = 0) -> Position | None:
        """The open position of ``symbol`` at ``positionIdx`` ``idx``, or ``None``."""
        return self.positions.get((symbol, idx))

    def of_symbol(self, symbol: str) -> list[Position]:
        """Every open position of ``symbol`` (one-way: at most one; hedge: up to two)."""
        return [p for (s, _), p in sorted(self.positions.items()) if s == symbol and p.size > 0]

    def open_positions(self) -> list[Position]:
        """Positions with a size above zero."""
        return [p for p in self.positions.values() if p.size > 0]

    def symbols(self) -> set[str]:
        """Symbols holding a position."""
        return {s for s, _ in self.positions}

    def size(self, symbol: str) -> Decimal:
        """Total size of the positions on ``symbol`` (0 when flat)."""
        return sum((p.size for p in self.of_symbol(symbol)), Decimal(0))

    def set_leverage(self, symbol: str, buy: Decimal, sell: Decimal, now: int) -> None:
        """Apply a leverage change to the open positions of ``symbol`` (Sell side: ``sell``)."""
        for pos in self.of_symbol(symbol):
            pos.leverage = sell if pos.idx == 2 else buy
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
        idx: int = 0,
    ) -> Decimal:
        """Open, extend, reduce or flip (one-way only) a position with one fill.

        :param inst: the symbol
        :param side: ``"Buy"`` or ``"Sell"``
        :param qty: filled quantity
        :param price: fill price
        :param leverage: the side's leverage now
        :param now: the clock
        :param idx: ``positionIdx`` of the order
        :return: the size closed by this fill
        """
        pos = self.positions.get((inst.symbol, idx))
        if pos is None or pos.size == 0:
            self._open(inst, side, qty, price, leverage, now, idx)
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
            del self.positions[(inst.symbol, idx)]
            if idx == 0 and qty > closed:
                self._open(inst, side, qty - closed, price, leverage, now, idx)
        return closed

    def _open(
        self,
        inst: Instrument,
        side: str,
        qty: Decimal,
        price: Decimal,
        lev: Decimal,
        now: int,
        idx: int,
    ) -> None:
        self.positions[(inst.symbol, idx)] = Position(
            inst, side, qty, price, lev, now, now, self.seq.next(), idx=idx
        )
