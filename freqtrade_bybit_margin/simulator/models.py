"""
The simulated Bybit account: margin settings, positions, orders and wallet, with one method
per API operation. No HTTP here: methods take typed keyword arguments, return ``result``
dicts and raise :class:`~.exceptions.SimulatorApiError` subclasses.
"""

import logging
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode, Category
from freqtrade_bybit_margin.simulator.exceptions import (
    InsufficientBalanceError,
    LeverageNotModifiedError,
    MarginModeNotModifiedError,
    OrderNotFoundError,
    ParamsError,
    ReduceOnlyError,
    SetMarginModeFailedError,
    SimulatorApiError,
    UnifiedAccountForbiddenError,
    UnifiedAccountOnlyError,
)
from freqtrade_bybit_margin.simulator.instruments import Instrument
from freqtrade_bybit_margin.simulator.market_data import PriceModel, fmt
from freqtrade_bybit_margin.simulator.rules import (
    PER_SYMBOL_MARGIN_MODE,
    SWITCH_ISOLATED_SUPPORT,
    AccountType,
    SimKnobs,
)
from freqtrade_bybit_margin.simulator.state import (
    Execution,
    Order,
    Position,
    SymbolSettings,
    notional,
    position_row,
)


logger = logging.getLogger(__name__)

#: v3 unified-margin reason codes for a mode switch blocked by positions / orders (the V5 page
#: documents only the PM equity reason), https://bybit-exchange.github.io/docs/derivatives/unified/usc-margin-mode
REASON_POSITIONS = "3400101"
REASON_ORDERS = "3400102"
#: documented reason of a refused switch to PORTFOLIO_MARGIN
#: (https://bybit-exchange.github.io/docs/v5/account/set-margin-mode)
REASON_PM_EQUITY = ("3400000", "Equity needs to be equal to or greater than 1000 USDC")


class AccountBackend:
    """State and rules of one simulated Bybit account (one UID, one API key)."""

    def __init__(
        self,
        *,
        account_type: AccountType,
        account_margin_mode: str,
        instruments: Iterable[Instrument],
        prices: PriceModel,
        knobs: SimKnobs,
        clock: Callable[[], int],
    ) -> None:
        self.account_type: AccountType = account_type
        self.account_margin_mode = account_margin_mode
        self.instruments = list(instruments)
        self.by_category: dict[tuple[Category, str], Instrument] = {
            (i.category, i.symbol): i for i in self.instruments
        }
        self.derivatives = {i.symbol: i for i in self.instruments if i.is_derivative}
        self.prices = prices
        self.knobs = knobs
        self.clock = clock
        self.settings: dict[str, SymbolSettings] = {}
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, Order] = {}
        self.executions: list[Execution] = []
        self.wallet: dict[str, Decimal] = {c: Decimal(v) for c, v in knobs.starting_balance}
        self._seq = 0

    # ---------------------------------------------------------------- helpers

    def next_seq(self) -> int:
        """Monotonic sequence number (position ``seq``, execution ``seq``, ids)."""
        self._seq += 1
        return self._seq

    def new_id(self) -> str:
        """Deterministic UUID-shaped id."""
        return str(uuid.UUID(int=(0x51B << 116) + self.next_seq()))

    def instrument(self, category: str, symbol: str) -> Instrument:
        """The instrument ``symbol`` of ``category`` or 10001."""
        try:
            return self.by_category[(Category(category), symbol)]
        except (KeyError, ValueError):
            raise ParamsError(f"params error: symbol invalid ({category} {symbol})") from None

    def derivative(self, category: str, symbol: str) -> Instrument:
        """A linear or inverse instrument or 10001."""
        if category not in (Category.LINEAR, Category.INVERSE):
            raise ParamsError(f"params error: category {category!r} not supported here")
        return self.instrument(category, symbol)

    def symbol_settings(self, symbol: str) -> SymbolSettings:
        """Margin settings of ``symbol`` (created with the defaults on first use)."""
        if symbol not in self.settings:
            self.settings[symbol] = SymbolSettings(0, Decimal(self.knobs.default_leverage))
        return self.settings[symbol]

    def mark(self, inst: Instrument) -> Decimal:
        """Current mark price of ``inst``."""
        return self.prices.price(inst, self.clock())

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders, optionally of one symbol, oldest first."""
        return [o for o in self.orders.values() if o.is_open and symbol in (None, o.inst.symbol)]

    def open_positions(self) -> list[Position]:
        """Positions with a size above zero."""
        return [p for p in self.positions.values() if p.size > 0]

    def per_symbol_mode(self, inst: Instrument) -> bool:
        """True where the margin mode is per symbol (classic, UTA1.0 inverse)."""
        return (self.account_type, inst.category) in PER_SYMBOL_MARGIN_MODE

    def effective_trade_mode(self, inst: Instrument) -> int:
        """Per-symbol mode where it exists, else the account-wide mode as 0/1."""
        if self.per_symbol_mode(inst):
            return self.symbol_settings(inst.symbol).trade_mode
        return 1 if self.account_margin_mode == AccountMarginMode.ISOLATED else 0

    @staticmethod
    def check_leverage(inst: Instrument, leverage: Decimal) -> None:
        """Leverage within ``leverageFilter`` and on its step, else 10001.

        https://bybit-exchange.github.io/docs/v5/market/instrument (leverageFilter)
        """
        if not inst.min_leverage <= leverage <= inst.max_leverage:
            raise ParamsError(
                f"leverage {fmt(leverage)} outside [{fmt(inst.min_leverage)}, "
                f"{fmt(inst.max_leverage)}] for {inst.symbol}"
            )
        if (leverage - inst.min_leverage) % inst.leverage_step != 0:
            raise ParamsError(
                f"leverage {fmt(leverage)} is not a multiple of leverageStep "
                f"{fmt(inst.leverage_step)} for {inst.symbol}"
            )

    # ---------------------------------------------------------------- margin & leverage

    def switch_isolated(
        self,
        *,
        category: str,
        symbol: str,
        trade_mode: int,
        buy_leverage: Decimal,
        sell_leverage: Decimal,
    ) -> dict[str, Any]:
        """``POST /v5/position/switch-isolated``.

        https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate
        """
        if category not in (Category.LINEAR, Category.INVERSE):
            raise ParamsError(f"params error: category {category!r} not supported")
        if (self.account_type, Category(category)) not in SWITCH_ISOLATED_SUPPORT:
            if self.account_type == "uta2":
                raise UnifiedAccountForbiddenError(
                    ret_code=self.knobs.uta2_switch_isolated_ret_code
                )
            raise UnifiedAccountForbiddenError()
        inst = self.derivative(category, symbol)
        if inst.settle == "USDC":
            raise ParamsError(f"params error: {symbol} is USDC-settled; use set-margin-mode")
        if buy_leverage != sell_leverage:
            raise ParamsError("params error: buyLeverage must equal sellLeverage")
        self.check_leverage(inst, buy_leverage)
        settings = self.symbol_settings(symbol)
        if settings.trade_mode == trade_mode:
            # Bybit answers 110026 and leaves the leverage as it was even when the request
            # carries another one (ccxt issue 13046): model that.
            raise MarginModeNotModifiedError()
        busy = self.open_orders(symbol)
        pos = self.positions.get(symbol)
        if busy or (pos is not None and pos.size > 0):
            # UNVERIFIED: Bybit documents nothing for V5 here; see SimKnobs.
            if self.knobs.switch_with_open_position == "reject":
                raise ParamsError(
                    f"params error: {symbol} position or active order exists; "
                    "cannot switch margin mode"
                )
            for order in busy:
                self._cancel(order, "CancelByUser")
        settings.trade_mode = trade_mode
        settings.leverage = buy_leverage
        return {}

    def set_leverage(
        self, *, category: str, symbol: str, buy_leverage: Decimal, sell_leverage: Decimal
    ) -> dict[str, Any]:
        """``POST /v5/position/set-leverage`` (one-way mode: buy must equal sell).

        https://bybit-exchange.github.io/docs/v5/position/leverage
        """
        inst = self.derivative(category, symbol)
        if buy_leverage != sell_leverage:
            raise ParamsError("params error: buyLeverage must equal sellLeverage in one-way mode")
        self.check_leverage(inst, buy_leverage)
        settings = self.symbol_settings(symbol)
        if settings.leverage == buy_leverage:
            raise LeverageNotModifiedError()
        settings.leverage = buy_leverage
        pos = self.positions.get(symbol)
        if pos is not None:
            pos.leverage = buy_leverage
            pos.updated_ms = self.clock()
        return {}

    def set_margin_mode(self, *, mode: str) -> dict[str, Any]:
        """``POST /v5/account/set-margin-mode`` (account-wide, unified accounts only).

        https://bybit-exchange.github.io/docs/v5/account/set-margin-mode
        """
        if self.account_type == "classic":
            # Modelled: 10028 "unified account users only" (the page does not list classic).
            raise UnifiedAccountOnlyError()
        if mode == AccountMarginMode.PORTFOLIO:
            # Portfolio margin is not modelled: always refused with the documented reason.
            code, msg = REASON_PM_EQUITY
            raise SetMarginModeFailedError(
                result={"reasons": [{"reasonCode": code, "reasonMsg": msg}]}
            )
        if mode == self.account_margin_mode:
            # Undocumented: modelled as accepted (knob same_margin_mode_ret_code).
            if self.knobs.same_margin_mode_ret_code:
                raise SimulatorApiError(
                    "margin mode not modified", ret_code=self.knobs.same_margin_mode_ret_code
                )
            return {"reasons": []}
        reasons = []
        positions = sorted(p.inst.symbol for p in self.open_positions())
        if positions:
            reasons.append(
                {
                    "reasonCode": REASON_POSITIONS,
                    "reasonMsg": "Please close all positions before switching margin mode: "
                    + ",".join(positions),
                }
            )
        orders = sorted({o.inst.symbol for o in self.open_orders()})
        if orders:
            reasons.append(
                {
                    "reasonCode": REASON_ORDERS,
                    "reasonMsg": "Please cancel all active orders before switching margin "
                    "mode: " + ",".join(orders),
                }
            )
        if reasons:
            raise SetMarginModeFailedError(result={"reasons": reasons})
        self.account_margin_mode = mode
        return {"reasons": []}

    def switch_position_mode(self, *, mode: int) -> dict[str, Any]:
        """``POST /v5/position/switch-mode``: one-way (0) only; answered 0 even when unchanged.

        Bybit would say 110025 when nothing changes, but freqtrade aborts its startup on that
        (live-path notes §7); the simulator models a one-way account that always accepts 0.
        https://bybit-exchange.github.io/docs/v5/position/position-mode
        """
        if mode != 0:
            raise ParamsError("params error: the simulator models one-way mode (mode 0) only")
        return {}

    # ---------------------------------------------------------------- positions

    def position_rows(
        self, *, category: str, symbol: str | None, settle_coin: str | None
    ) -> list[dict[str, Any]]:
        """Rows of ``GET /v5/position/list`` before paging.

        With ``symbol`` one row even when flat; with only ``settleCoin`` rows with size > 0.
        https://bybit-exchange.github.io/docs/v5/position
        """
        now = self.clock()
        if symbol:
            inst = self.derivative(category, symbol)
            return [self._position_row(inst, now)]
        if category == Category.LINEAR and not settle_coin:
            raise ParamsError("params error: symbol or settleCoin is required for linear")
        if category not in (Category.LINEAR, Category.INVERSE):
            raise ParamsError(f"params error: category {category!r} not supported")
        rows = []
        for pos in sorted(self.open_positions(), key=lambda p: p.inst.symbol):
            if pos.inst.category != category:
                continue
            if settle_coin and pos.inst.settle != settle_coin:
                continue
            rows.append(self._position_row(pos.inst, now))
        return rows

    def _position_row(self, inst: Instrument, now: int) -> dict[str, Any]:
        settings = self.symbol_settings(inst.symbol)
        trade_mode = settings.trade_mode if self.per_symbol_mode(inst) else 0
        pos = self.positions.get(inst.symbol)
        return position_row(inst, pos, settings, trade_mode, self.mark(inst), now)

    def symbol_info(self, *, category: str, symbol: str | None) -> list[dict[str, Any]]:
        """``GET /v5/position/symbol-info`` rows (leverage without a position).

        https://bybit-exchange.github.io/docs/v5/position/batch-lvg
        """
        if symbol:
            insts = [self.derivative(category, symbol)]
        else:
            insts = [i for i in self.derivatives.values() if i.category == category]
        return [
            {
                "symbol": i.symbol,
                "leverage": fmt(self.symbol_settings(i.symbol).leverage),
                "side": "",
                "positionIdx": 0,
            }
            for i in insts
        ]

    # ---------------------------------------------------------------- orders

    def create_order(
        self,
        *,
        category: str,
        symbol: str,
        side: str,
        order_type: str,
        qty: Decimal,
        price: Decimal | None,
        time_in_force: str,
        reduce_only: bool,
        order_link_id: str,
        never_fill: bool = False,
    ) -> dict[str, Any]:
        """``POST /v5/order/create``: validate against the filters, then fill what crosses.

        https://bybit-exchange.github.io/docs/v5/order/create-order
        """
        inst = self.derivative(category, symbol)
        if inst.status != "Trading":
            raise ParamsError(f"params error: {symbol} is not trading")
        if qty < inst.min_qty or qty > inst.max_qty:
            raise ParamsError(
                f"Qty invalid: {fmt(qty)} outside [{fmt(inst.min_qty)}, {fmt(inst.max_qty)}]"
            )
        if qty % inst.qty_step != 0:
            raise ParamsError(f"Qty invalid: {fmt(qty)} is not a multiple of {fmt(inst.qty_step)}")
        if order_type == "Limit":
            if price is None or price <= 0:
                raise ParamsError("params error: price is required for Limit orders")
            if price % inst.tick_size != 0:
                raise ParamsError(
                    f"Price invalid: {price} is not a multiple of tickSize {inst.tick_size}"
                )
        else:
            price = None
        now = self.clock()
        pos = self.positions.get(symbol)
        if reduce_only and (pos is None or pos.size == 0 or pos.side == side):
            raise ReduceOnlyError()
        bid, ask = self.prices.book(inst, now)
        if not reduce_only:
            ref = price if price is not None else (ask if side == "Buy" else bid)
            lev = self.symbol_settings(symbol).leverage
            need = notional(inst, qty, ref) / lev
            if need > self.available(inst.settle):
                raise InsufficientBalanceError()
        order = Order(
            order_id=self.new_id(),
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
        )
        self.orders[order.order_id] = order
        best_bid, best_ask = self.recent_best(inst, now)
        crosses = price is None or (price >= best_ask if side == "Buy" else price <= best_bid)
        if not never_fill and crosses:
            if time_in_force == "PostOnly":
                self._cancel(order, "CancelByUser", reason="EC_PostOnlyWillTakeLiquidity")
            elif side == "Buy":
                self._fill(order, ask if price is None else min(price, ask), is_maker=False)
            else:
                self._fill(order, bid if price is None else max(price, bid), is_maker=False)
        elif time_in_force in ("IOC", "FOK"):
            self._cancel(order, "CancelByUser", reason="EC_NoImmediateQtyToFill")
        return {"orderId": order.order_id, "orderLinkId": order.order_link_id}

    def recent_best(self, inst: Instrument, now: int) -> tuple[Decimal, Decimal]:
        """Highest bid and lowest ask shown within ``SimKnobs.quote_grace_ms`` before ``now``."""
        grace = self.knobs.quote_grace_ms
        steps = max(grace // 250, 0)
        books = [self.prices.book(inst, now - grace * i // max(steps, 1)) for i in range(steps + 1)]
        return max(b for b, _ in books), min(a for _, a in books)

    def tick(self) -> None:
        """Fill resting limit orders the current price has crossed (lazy matching engine)."""
        now = self.clock()
        for order in self.open_orders():
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
        pos = self.positions.get(inst.symbol)
        if order.reduce_only:
            if pos is None or pos.size == 0 or pos.side == order.side:
                self._cancel(order, "CancelByReduceOnly")
                return
            qty = min(qty, pos.size)
        rate = self.knobs.maker_fee_rate if is_maker else self.knobs.taker_fee_rate
        value = notional(inst, qty, price)
        fee = value * Decimal(rate) if self.knobs.fees else Decimal(0)
        closed = self.apply_to_position(inst, order.side, qty, price, now)
        self.wallet[inst.settle] = self.wallet.get(inst.settle, Decimal(0)) - fee
        order.cum_exec_qty += qty
        order.cum_exec_value += value
        order.cum_exec_fee += fee
        order.updated_ms = now
        order.status = "Filled"
        if order.cum_exec_qty < order.qty:
            order.status = "Cancelled" if order.reduce_only else "PartiallyFilled"
        self.executions.append(
            Execution(
                exec_id=self.new_id(),
                order=order,
                price=price,
                qty=qty,
                fee=fee,
                fee_rate=rate if self.knobs.fees else "0",
                is_maker=is_maker,
                closed_size=closed,
                exec_time=now,
                seq=self.next_seq(),
            )
        )
        logger.debug("filled %s %s %s @ %s", inst.symbol, order.side, qty, price)

    def apply_to_position(
        self, inst: Instrument, side: str, qty: Decimal, price: Decimal, now: int
    ) -> Decimal:
        """Open, extend, reduce or flip the symbol's position; returns the closed size."""
        leverage = self.symbol_settings(inst.symbol).leverage
        pos = self.positions.get(inst.symbol)
        if pos is None or pos.size == 0:
            self.positions[inst.symbol] = Position(
                inst, side, qty, price, leverage, now, now, self.next_seq()
            )
            return Decimal(0)
        pos.updated_ms = now
        pos.seq = self.next_seq()
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
        self.wallet[inst.settle] = self.wallet.get(inst.settle, Decimal(0)) + pnl
        pos.size -= closed
        if pos.size == 0:
            del self.positions[inst.symbol]
            if qty > closed:
                self.positions[inst.symbol] = Position(
                    inst, side, qty - closed, price, leverage, now, now, self.next_seq()
                )
        return closed

    def _cancel(self, order: Order, cancel_type: str, reason: str = "EC_NoError") -> None:
        order.status = "Cancelled"
        order.cancel_type = cancel_type
        order.reject_reason = reason
        order.updated_ms = self.clock()

    def find_order(self, *, symbol: str | None, order_id: str | None, link_id: str | None) -> Order:
        """Look an order up by id or link id, or 110001."""
        for order in self.orders.values():
            if symbol and order.inst.symbol != symbol:
                continue
            if (order_id and order.order_id == order_id) or (
                link_id and order.order_link_id == link_id
            ):
                return order
        raise OrderNotFoundError()

    def cancel_order(
        self, *, category: str, symbol: str, order_id: str | None, link_id: str | None
    ) -> dict[str, Any]:
        """``POST /v5/order/cancel`` (110001 when unknown or no longer open).

        https://bybit-exchange.github.io/docs/v5/order/cancel-order
        """
        self.derivative(category, symbol)
        order = self.find_order(symbol=symbol, order_id=order_id, link_id=link_id)
        if not order.is_open:
            raise OrderNotFoundError()
        self._cancel(order, "CancelByUser")
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
            self._cancel(order, "CancelByUser")
            cancelled.append({"orderId": order.order_id, "orderLinkId": order.order_link_id})
        return {"list": cancelled, "success": "1"}

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
        rows = []
        for order in sorted(self.orders.values(), key=lambda o: -o.created_ms):
            if order.inst.category != category:
                continue
            if symbol and order.inst.symbol != symbol:
                continue
            if settle_coin and order.inst.settle != settle_coin:
                continue
            if order_id and order.order_id != order_id:
                continue
            if link_id and order.order_link_id != link_id:
                continue
            if open_only and not (order_id or link_id) and not order.is_open:
                continue
            rows.append(order.to_row(fee_detail=self.knobs.cum_fee_detail))
        return rows

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
        now = self.clock()
        if start is None and end is None:
            start = now - 7 * 86_400_000
        rows = []
        for ex in reversed(self.executions):
            inst = ex.order.inst
            if inst.category != category or (symbol and inst.symbol != symbol):
                continue
            if order_id and ex.order.order_id != order_id:
                continue
            if exec_type and exec_type != "Trade":
                continue
            if (start is not None and ex.exec_time < start) or (
                end is not None and ex.exec_time > end
            ):
                continue
            rows.append(ex.to_row())
        return rows

    # ---------------------------------------------------------------- wallet

    def coin_margin(self, coin: str) -> tuple[Decimal, Decimal, Decimal]:
        """``(positionIM, orderIM, unrealisedPnl)`` of everything settled in ``coin``."""
        pos_im = order_im = upnl = Decimal(0)
        for pos in self.open_positions():
            if pos.inst.settle == coin:
                pos_im += pos.initial_margin()
                upnl += pos.unrealised(self.mark(pos.inst))
        for order in self.open_orders():
            if order.inst.settle == coin and order.price and not order.reduce_only:
                lev = self.symbol_settings(order.inst.symbol).leverage
                order_im += notional(order.inst, order.leaves_qty, order.price) / lev
        return pos_im, order_im, upnl

    def available(self, coin: str) -> Decimal:
        """Wallet balance minus position and order margin."""
        pos_im, order_im, _ = self.coin_margin(coin)
        return self.wallet.get(coin, Decimal(0)) - pos_im - order_im
