"""
The order book and the matching engine: orders against the deterministic price path. Market
and crossing limit orders fill at once; resting limit orders fill lazily when the price
crosses them (:meth:`MatchingEngine.tick`, called before every request).
"""

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.entities import (
    MAINTENANCE_RATE,
    Execution,
    Order,
    Sequence,
    closes,
    notional,
)
from freqtrade_bybit_margin.simulator.exceptions import (
    InsufficientBalanceError,
    OrderNotFoundError,
    ParamsError,
    ReduceOnlyError,
)
from freqtrade_bybit_margin.simulator.instruments import Instrument
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.market_data import PriceModel
from freqtrade_bybit_margin.simulator.positions import PositionBook
from freqtrade_bybit_margin.simulator.wallet import Exposure, Wallet


logger = logging.getLogger(__name__)

#: default window of ``/v5/execution/list`` without start/end: the last 7 days
EXECUTION_WINDOW_MS = 7 * 86_400_000


class OrderBook:
    """Every order of the account and every fill, with Bybit's order and execution rows.

    :param clock: epoch ms
    :param knobs: ``cum_fee_detail``
    """

    def __init__(self, *, clock: Callable[[], int], knobs: SimKnobs) -> None:
        self.clock = clock
        self.knobs = knobs
        self.orders: dict[str, Order] = {}
        self.executions: list[Execution] = []

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders, optionally of one symbol, oldest first."""
        return [o for o in self.orders.values() if o.is_open and symbol in (None, o.inst.symbol)]

    def cancel(self, order: Order, cancel_type: str, reason: str = "EC_NoError") -> None:
        """Mark ``order`` cancelled."""
        order.status = "Cancelled"
        order.cancel_type = cancel_type
        order.reject_reason = reason
        order.updated_ms = self.clock()

    def cancel_symbol_orders(self, symbol: str) -> None:
        """Cancel every open order of ``symbol`` (as a user cancel)."""
        for order in self.open_orders(symbol):
            self.cancel(order, "CancelByUser")

    def find_order(self, *, symbol: str | None, order_id: str | None, link_id: str | None) -> Order:
        """Look an order up by id or link id.

        :raise OrderNotFoundError: 110001
        """
        for order in self.orders.values():
            if symbol and order.inst.symbol != symbol:
                continue
            if (order_id and order.order_id == order_id) or (
                link_id and order.order_link_id == link_id
            ):
                return order
        raise OrderNotFoundError()

    def cancel_order(
        self, inst: Instrument, *, order_id: str | None, link_id: str | None
    ) -> dict[str, Any]:
        """``POST /v5/order/cancel`` (110001 when unknown or no longer open).

        https://bybit-exchange.github.io/docs/v5/order/cancel-order
        """
        order = self.find_order(symbol=inst.symbol, order_id=order_id, link_id=link_id)
        if not order.is_open:
            raise OrderNotFoundError()
        self.cancel(order, "CancelByUser")
        return {"orderId": order.order_id, "orderLinkId": order.order_link_id}

    def cancel_all(
        self, *, category: str, symbol: str | None, settle_coin: str | None
    ) -> dict[str, Any]:
        """``POST /v5/order/cancel-all``.

        https://bybit-exchange.github.io/docs/v5/order/cancel-all
        """
        if category == Category.LINEAR and not (symbol or settle_coin):
            raise ParamsError("params error: symbol or settleCoin is required for linear")
        cancelled = []
        for order in self.open_orders(symbol):
            if order.inst.category != category:
                continue
            if settle_coin and order.inst.settle != settle_coin:
                continue
            self.cancel(order, "CancelByUser")
            cancelled.append({"orderId": order.order_id, "orderLinkId": order.order_link_id})
        return {"list": cancelled, "success": "1"}

    # ---------------------------------------------------------------- rows

    def order_rows(
        self,
        *,
        category: str,
        symbol: str | None,
        settle_coin: str | None,
        order_id: str | None,
        link_id: str | None,
        open_only: bool,
    ) -> list[dict[str, Any]]:
        """Orders newest first; by id any status, otherwise open ones when ``open_only``.

        https://bybit-exchange.github.io/docs/v5/order/open-order ,
        https://bybit-exchange.github.io/docs/v5/order/order-list
        """
        by_id = bool(order_id or link_id)
        return [
            order.to_row(fee_detail=self.knobs.cum_fee_detail)
            for order in sorted(self.orders.values(), key=lambda o: -o.created_ms)
            if order.inst.category == category
            and symbol in (None, order.inst.symbol)
            and settle_coin in (None, order.inst.settle)
            and order_id in (None, order.order_id)
            and link_id in (None, order.order_link_id)
            and (order.is_open or by_id or not open_only)
        ]

    def execution_rows(
        self,
        *,
        category: str,
        symbol: str | None,
        order_id: str | None,
        start: int | None,
        end: int | None,
        exec_type: str | None,
    ) -> list[dict[str, Any]]:
        """``GET /v5/execution/list`` rows newest first (default window: the last 7 days).

        https://bybit-exchange.github.io/docs/v5/order/execution
        """
        if start is None and end is None:
            start = self.clock() - EXECUTION_WINDOW_MS
        if exec_type not in (None, "Trade"):
            return []
        return [
            ex.to_row()
            for ex in reversed(self.executions)
            if ex.order.inst.category == category
            and symbol in (None, ex.order.inst.symbol)
            and order_id in (None, ex.order.order_id)
            and (start is None or ex.exec_time >= start)
            and (end is None or ex.exec_time <= end)
        ]


class MatchingEngine:
    """Orders and fills of one account.

    :param prices: the price path orders fill against
    :param knobs: fees, quote grace
    :param clock: epoch ms
    :param wallet: pays fees and holds the margin checked before an order
    :param positions: receives the fills
    :param leverage_of: the leverage of a symbol's ``positionIdx``
    :param seq: the account's sequence numbers and ids
    :param book: where orders and fills are kept
    """

    def __init__(
        self,
        *,
        prices: PriceModel,
        knobs: SimKnobs,
        clock: Callable[[], int],
        wallet: Wallet,
        positions: PositionBook,
        leverage_of: Callable[[str, int], Decimal],
        seq: Sequence,
        book: OrderBook,
    ) -> None:
        self.prices = prices
        self.knobs = knobs
        self.clock = clock
        self.wallet = wallet
        self.positions = positions
        self.leverage_of = leverage_of
        self.seq = seq
        self.book = book

    # ---------------------------------------------------------------- queries

    def busy(self, symbol: str) -> bool:
        """True when ``symbol`` has an open order or a position."""
        return bool(self.book.open_orders(symbol)) or self.positions.size(symbol) > 0

    def exposure(self, coin: str) -> Exposure:
        """Margin and unrealised PnL of everything settled in ``coin``."""
        pos_im = order_im = upnl = mm = Decimal(0)
        now = self.clock()
        for pos in self.positions.open_positions():
            if pos.inst.settle == coin:
                pos_im += pos.initial_margin()
                upnl += pos.unrealised(self.prices.price(pos.inst, now))
                if pos.inst.category is not Category.INVERSE:
                    mm += pos.size * pos.avg_price * MAINTENANCE_RATE
        for order in self.book.open_orders():
            if order.inst.settle == coin and order.price and not order.closing:
                lev = self.leverage_of(order.inst.symbol, order.position_idx)
                order_im += notional(order.inst, order.leaves_qty, order.price) / lev
        return Exposure(pos_im, order_im, upnl, mm)

    # ---------------------------------------------------------------- placing

    def create_order(
        self,
        inst: Instrument,
        *,
        side: str,
        order_type: str,
        qty: Decimal,
        price: Decimal | None,
        time_in_force: str,
        reduce_only: bool,
        order_link_id: str,
        never_fill: bool = False,
        position_idx: int = 0,
    ) -> dict[str, Any]:
        """``POST /v5/order/create``: validate against the filters, then fill what crosses.

        https://bybit-exchange.github.io/docs/v5/order/create-order ; ``position_idx`` was
        checked against the symbol's position mode by the caller.

        :return: ``{"orderId", "orderLinkId"}``
        :raise SimulatorApiError: 10001 (filters), 110017 (reduce-only), 110007 (balance)
        """
        if order_type == "Limit" and (price is None or price <= 0):
            raise ParamsError("params error: price is required for Limit orders")
        price = price if order_type == "Limit" else None
        inst.check_order(qty, price)
        now = self.clock()
        bid, ask = self.prices.book(inst, now)
        ref = price if price is not None else (ask if side == "Buy" else bid)
        self._check_funds(inst, side, qty, ref, reduce_only, position_idx)
        order = Order(
            order_id=self.seq.new_id(),
            order_link_id=order_link_id,
            inst=inst,
            side=side,
            order_type=order_type,
            qty=qty,
            price=price,
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            created_ms=now,
            updated_ms=now,
            last_price_on_created=self.prices.price(inst, now),
            never_fill=never_fill,
            position_idx=position_idx,
        )
        self.book.orders[order.order_id] = order
        self._match_new(order, bid, ask, now)
        return {"orderId": order.order_id, "orderLinkId": order.order_link_id}

    def _check_funds(
        self, inst: Instrument, side: str, qty: Decimal, ref: Decimal, reduce_only: bool, idx: int
    ) -> None:
        """A closing order (reduce-only, or against its hedge side) needs a position to
        reduce; others need the margin."""
        pos = self.positions.get(inst.symbol, idx)
        if closes(side, idx, reduce_only):
            if pos is None or pos.size == 0 or pos.side == side:
                raise ReduceOnlyError()
            return
        need = notional(inst, qty, ref) / self.leverage_of(inst.symbol, idx)
        if need > self.wallet.available(inst.settle, self.exposure(inst.settle)):
            raise InsufficientBalanceError()

    def _match_new(self, order: Order, bid: Decimal, ask: Decimal, now: int) -> None:
        """Fill, cancel or rest a new order by its price and time in force."""
        best_bid, best_ask = self.recent_best(order.inst, now)
        price, side = order.price, order.side
        crosses = price is None or (price >= best_ask if side == "Buy" else price <= best_bid)
        if not order.never_fill and crosses:
            if order.time_in_force == "PostOnly":
                self.book.cancel(order, "CancelByUser", reason="EC_PostOnlyWillTakeLiquidity")
            elif side == "Buy":
                self._fill(order, ask if price is None else min(price, ask), is_maker=False)
            else:
                self._fill(order, bid if price is None else max(price, bid), is_maker=False)
        elif order.time_in_force in ("IOC", "FOK"):
            self.book.cancel(order, "CancelByUser", reason="EC_NoImmediateQtyToFill")

    def recent_best(self, inst: Instrument, now: int) -> tuple[Decimal, Decimal]:
        """Highest bid and lowest ask shown within ``SimKnobs.quote_grace_ms`` before ``now``."""
        grace = self.knobs.quote_grace_ms
        steps = max(grace // 250, 0)
        books = [self.prices.book(inst, now - grace * i // max(steps, 1)) for i in range(steps + 1)]
        return max(b for b, _ in books), min(a for _, a in books)

    def tick(self) -> None:
        """Fill resting limit orders the current price has crossed (lazy matching engine)."""
        now = self.clock()
        for order in self.book.open_orders():
            if order.never_fill or order.price is None:
                continue
            bid, ask = self.prices.book(order.inst, now)
            if (order.side == "Buy" and ask <= order.price) or (
                order.side == "Sell" and bid >= order.price
            ):
                self._fill(order, order.price, is_maker=True)

    def _fill(self, order: Order, price: Decimal, *, is_maker: bool) -> None:
        inst = order.inst
        now = self.clock()
        qty = order.qty - order.cum_exec_qty
        idx = order.position_idx
        pos = self.positions.get(inst.symbol, idx)
        if order.closing:
            if pos is None or pos.size == 0 or pos.side == order.side:
                self.book.cancel(order, "CancelByReduceOnly")
                return
            qty = min(qty, pos.size)
        rate = self.knobs.maker_fee_rate if is_maker else self.knobs.taker_fee_rate
        value = notional(inst, qty, price)
        fee = value * Decimal(rate) if self.knobs.fees else Decimal(0)
        leverage = self.leverage_of(inst.symbol, idx)
        closed = self.positions.apply(
            inst, order.side, qty, price, leverage=leverage, now=now, idx=idx
        )
        self.wallet.credit(inst.settle, -fee)
        order.cum_exec_qty += qty
        order.cum_exec_value += value
        order.cum_exec_fee += fee
        order.updated_ms = now
        order.status = "Filled"
        if order.cum_exec_qty < order.qty:
            order.status = "Cancelled" if order.closing else "PartiallyFilled"
        self.book.executions.append(
            Execution(
                exec_id=self.seq.new_id(),
                order=order,
                price=price,
                qty=qty,
                fee=fee,
                fee_rate=rate if self.knobs.fees else "0",
                is_maker=is_maker,
                closed_size=closed,
                exec_time=now,
                seq=self.seq.next(),
            )
        )
        logger.debug("filled %s %s %s @ %s", inst.symbol, order.side, qty, price)
