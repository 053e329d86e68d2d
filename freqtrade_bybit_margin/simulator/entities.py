"""
The simulated account's entities (margin settings, positions, orders, executions); each one
carries its behaviour and renders its own Bybit row.

Row fields: https://bybit-exchange.github.io/docs/v5/position ,
https://bybit-exchange.github.io/docs/v5/order/open-order ,
https://bybit-exchange.github.io/docs/v5/order/execution
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.formatting import fmt, fmt8, fmt_price
from freqtrade_bybit_margin.simulator.instruments import Instrument


#: maintenance-margin rate used for the (approximate) liquidation price
MAINTENANCE_RATE = Decimal("0.005")
OPEN_STATUSES = frozenset({"New", "PartiallyFilled"})


def notional(inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
    """Position value in the settle coin (inverse contracts are worth ``qty / price`` coins)."""
    return qty / price if inst.category is Category.INVERSE else qty * price


def closes(side: str, idx: int, reduce_only: bool) -> bool:
    """True when an order of ``side`` at ``positionIdx`` ``idx`` reduces a position: a
    reduce-only order, a Sell on the hedge Buy side (1) or a Buy on the hedge Sell side (2)."""
    return reduce_only or (idx == 1 and side == "Sell") or (idx == 2 and side == "Buy")


class Sequence:
    """Monotonic sequence numbers (position and execution ``seq``) and deterministic ids."""

    def __init__(self) -> None:
        self._value = 0

    def next(self) -> int:
        """The next number."""
        self._value += 1
        return self._value

    def new_id(self) -> str:
        """A UUID-shaped id built from the next number."""
        return str(uuid.UUID(int=(0x51B << 116) + self.next()))


@dataclass
class SymbolSettings:
    """Per-symbol margin settings: ``tradeMode`` (0 cross / 1 isolated) and leverage.

    ``leverage`` is the one-way (and hedge Buy-side) leverage, ``sell_leverage`` the hedge
    Sell side's; in one-way mode both are equal.
    """

    trade_mode: int
    leverage: Decimal
    sell_leverage: Decimal

    def leverage_of(self, idx: int) -> Decimal:
        """The leverage of ``positionIdx`` ``idx`` (2: the Sell side)."""
        return self.sell_leverage if idx == 2 else self.leverage

    def flat_row(
        self,
        inst: Instrument,
        *,
        trade_mode: int,
        side: str,
        mark: Decimal,
        now_ms: int,
        idx: int = 0,
    ) -> dict[str, Any]:
        """The ``/v5/position/list`` row of a symbol side without a position (``size "0"``).

        :param inst: the symbol's instrument
        :param trade_mode: ``tradeMode`` as this account type reports it
        :param side: ``side`` of a flat row on this account type (``""`` or ``"None"``)
        :param mark: current mark price
        :param now_ms: the clock
        :param idx: ``positionIdx`` (0 one-way, 1 / 2 the hedge sides)
        :return: the row
        """
        row = _position_row(inst, self.leverage_of(idx), trade_mode, side, mark, now_ms)
        row["positionIdx"] = idx
        return row


@dataclass
class Position:
    """A position; ``side`` is ``"Buy"`` or ``"Sell"``, ``idx`` its ``positionIdx`` (0 one-way,
    1 / 2 the hedge sides). ``reduce_only`` and ``leverage_sys_ms`` are Bybit's
    ``isReduceOnly`` / ``leverageSysUpdatedTime`` after a system risk-limit cut."""

    inst: Instrument
    side: str
    size: Decimal
    avg_price: Decimal
    leverage: Decimal
    created_ms: int
    updated_ms: int
    seq: int
    cum_realised: Decimal = Decimal(0)
    idx: int = 0
    reduce_only: bool = False
    leverage_sys_ms: int | None = None

    def initial_margin(self) -> Decimal:
        """``positionIM`` in the settle coin."""
        return notional(self.inst, self.size, self.avg_price) / self.leverage

    def unrealised(self, mark: Decimal) -> Decimal:
        """Unrealised PnL at ``mark`` in the settle coin."""
        direction = 1 if self.side == "Buy" else -1
        if self.inst.category is Category.INVERSE:
            return self.size * (1 / self.avg_price - 1 / mark) * direction
        return (mark - self.avg_price) * self.size * direction

    def liq_price(self) -> Decimal:
        """Approximate isolated liquidation price."""
        offset = 1 / self.leverage - MAINTENANCE_RATE
        factor = 1 - offset if self.side == "Buy" else 1 + offset
        return self.avg_price * factor

    def to_row(self, *, trade_mode: int, mark: Decimal, now_ms: int) -> dict[str, Any]:
        """This position's ``/v5/position/list`` row.

        :param trade_mode: ``tradeMode`` as this account type reports it
        :param mark: current mark price
        :param now_ms: the clock
        :return: the row
        """
        inst = self.inst
        row = _position_row(inst, self.leverage, trade_mode, self.side, mark, now_ms)
        im = self.initial_margin()
        value = notional(inst, self.size, self.avg_price)
        liq = self.liq_price()
        row.update(
            {
                "size": fmt(self.size),
                "avgPrice": fmt(self.avg_price),
                "positionValue": fmt8(value),
                "liqPrice": fmt_price(liq, inst.tick_size) if liq > 0 else "",
                "positionIM": fmt8(im),
                "positionMM": fmt8(value * MAINTENANCE_RATE),
                "positionBalance": fmt8(im),
                "unrealisedPnl": fmt8(self.unrealised(mark)),
                "cumRealisedPnl": fmt8(self.cum_realised),
                "adlRankIndicator": 2,
                "createdTime": str(self.created_ms),
                "updatedTime": str(self.updated_ms),
                "seq": self.seq,
                "positionIdx": self.idx,
                "isReduceOnly": self.reduce_only,
                "leverageSysUpdatedTime": (
                    str(self.leverage_sys_ms) if self.leverage_sys_ms is not None else ""
                ),
            }
        )
        return row


def _position_row(
    inst: Instrument, leverage: Decimal, trade_mode: int, side: str, mark: Decimal, now_ms: int
) -> dict[str, Any]:
    """The fields every position row has, at their flat values."""
    return {
        "positionIdx": 0,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": inst.symbol,
        "side": side,
        "size": "0",
        "avgPrice": "0",
        "positionValue": "0",
        "tradeMode": trade_mode,
        "autoAddMargin": 0,
        "positionStatus": "Normal",
        "leverage": fmt(leverage),
        "markPrice": fmt_price(mark, inst.tick_size),
        "liqPrice": "",
        "bustPrice": "",
        "positionIM": "0",
        "positionMM": "0",
        "positionBalance": "0",
        "tpslMode": "Full",
        "takeProfit": "0",
        "stopLoss": "0",
        "trailingStop": "0",
        "unrealisedPnl": "0",
        "curRealisedPnl": "0",
        "cumRealisedPnl": "0",
        "adlRankIndicator": 0,
        "isReduceOnly": False,
        "mmrSysUpdatedTime": "",
        "leverageSysUpdatedTime": "",
        "sessionAvgPrice": "",
        "createdTime": str(now_ms),
        "updatedTime": str(now_ms),
        "seq": -1,
    }


#: fields of an order row this simulator never varies (no TP/SL, no SMP)
ORDER_ROW_CONSTANTS: dict[str, Any] = {
    "blockTradeId": "",
    "isLeverage": "",
    "stopOrderType": "",
    "orderIv": "",
    "triggerPrice": "",
    "takeProfit": "",
    "stopLoss": "",
    "tpTriggerBy": "",
    "slTriggerBy": "",
    "triggerDirection": 0,
    "triggerBy": "",
    "closeOnTrigger": False,
    "smpType": "None",
    "smpGroup": 0,
    "smpOrderId": "",
    "tpslMode": "",
    "tpLimitPrice": "",
    "slLimitPrice": "",
    "placeType": "",
}


@dataclass
class Order:
    """An order and its fill state (``orderStatus`` per the V5 enum)."""

    order_id: str
    order_link_id: str
    inst: Instrument
    side: str
    order_type: str
    qty: Decimal
    price: Decimal | None
    time_in_force: str
    reduce_only: bool
    created_ms: int
    updated_ms: int
    last_price_on_created: Decimal
    status: str = "New"
    cum_exec_qty: Decimal = Decimal(0)
    cum_exec_value: Decimal = Decimal(0)
    cum_exec_fee: Decimal = Decimal(0)
    reject_reason: str = "EC_NoError"
    cancel_type: str = "UNKNOWN"
    never_fill: bool = False
    position_idx: int = 0

    @property
    def closing(self) -> bool:
        """True for an order that can only reduce: reduce-only, or against its hedge side."""
        return closes(self.side, self.position_idx, self.reduce_only)

    @property
    def is_open(self) -> bool:
        """New or partially filled."""
        return self.status in OPEN_STATUSES

    @property
    def leaves_qty(self) -> Decimal:
        """Unfilled quantity of an open order (0 once closed)."""
        return self.qty - self.cum_exec_qty if self.is_open else Decimal(0)

    def to_row(self, *, fee_detail: bool) -> dict[str, Any]:
        """One ``/v5/order/realtime`` / ``/v5/order/history`` row."""
        tick = self.inst.tick_size
        avg = Decimal(0)
        if self.cum_exec_qty > 0:
            avg = (
                self.cum_exec_qty / self.cum_exec_value
                if self.inst.category is Category.INVERSE
                else self.cum_exec_value / self.cum_exec_qty
            )
        leaves_value = notional(self.inst, self.leaves_qty, self.price) if self.price else 0
        row: dict[str, Any] = {
            **ORDER_ROW_CONSTANTS,
            "orderId": self.order_id,
            "orderLinkId": self.order_link_id,
            "symbol": self.inst.symbol,
            "price": fmt_price(self.price, tick) if self.price is not None else "0",
            "qty": fmt(self.qty),
            "side": self.side,
            "orderStatus": self.status,
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "avgPrice": fmt(avg.quantize(tick / 100)) if self.cum_exec_qty > 0 else "",
            "leavesQty": fmt(self.leaves_qty),
            "leavesValue": fmt8(Decimal(leaves_value)),
            "cumExecQty": fmt(self.cum_exec_qty),
            "cumExecValue": fmt8(self.cum_exec_value),
            "cumExecFee": fmt8(self.cum_exec_fee),
            "timeInForce": self.time_in_force,
            "orderType": self.order_type,
            "positionIdx": self.position_idx,
            "lastPriceOnCreated": fmt_price(self.last_price_on_created, tick),
            "reduceOnly": self.reduce_only,
            "createdTime": str(self.created_ms),
            "updatedTime": str(self.updated_ms),
        }
        if fee_detail:
            fee = fmt8(self.cum_exec_fee)
            row["cumFeeDetail"] = {self.inst.settle: fee} if self.cum_exec_qty > 0 else {}
        return row


@dataclass
class Execution:
    """One fill (``execType`` Trade)."""

    exec_id: str
    order: Order
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_rate: str
    is_maker: bool
    closed_size: Decimal
    exec_time: int
    seq: int

    def to_row(self) -> dict[str, Any]:
        """One ``/v5/execution/list`` row."""
        o = self.order
        tick = o.inst.tick_size
        return {
            "symbol": o.inst.symbol,
            "orderId": o.order_id,
            "orderLinkId": o.order_link_id,
            "side": o.side,
            "orderPrice": fmt_price(o.price, tick) if o.price is not None else "0",
            "orderQty": fmt(o.qty),
            "leavesQty": fmt(o.leaves_qty),
            "createType": "CreateByUser",
            "orderType": o.order_type,
            "stopOrderType": "",
            "execFee": fmt8(self.fee),
            "execId": self.exec_id,
            "execPrice": fmt_price(self.price, tick),
            "execQty": fmt(self.qty),
            "execType": "Trade",
            "execValue": fmt8(notional(o.inst, self.qty, self.price)),
            "execTime": str(self.exec_time),
            "feeCurrency": o.inst.settle,
            "isMaker": self.is_maker,
            "feeRate": self.fee_rate,
            "tradeIv": "",
            "markIv": "",
            "markPrice": fmt_price(self.price, tick),
            "indexPrice": "",
            "underlyingPrice": "",
            "blockTradeId": "",
            "closedSize": fmt(self.closed_size),
            "seq": self.seq,
        }
