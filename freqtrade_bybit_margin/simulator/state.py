"""
Plain state records of the simulated account (settings, positions, orders, executions) and
their rendering into Bybit rows.

Row fields: https://bybit-exchange.github.io/docs/v5/position ,
https://bybit-exchange.github.io/docs/v5/order/open-order ,
https://bybit-exchange.github.io/docs/v5/order/execution
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.instruments import Instrument
from freqtrade_bybit_margin.simulator.market_data import fmt, fmt_price


logger = logging.getLogger(__name__)

#: maintenance-margin rate used for the (approximate) liquidation price
MAINTENANCE_RATE = Decimal("0.005")
OPEN_STATUSES = frozenset({"New", "PartiallyFilled"})


def notional(inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
    """Position value in the settle coin (inverse contracts are worth ``qty / price`` coins)."""
    return qty / price if inst.category is Category.INVERSE else qty * price


@dataclass
class SymbolSettings:
    """Per-symbol margin settings: ``tradeMode`` (0 cross / 1 isolated) and leverage."""

    trade_mode: int
    leverage: Decimal


@dataclass
class Position:
    """A one-way (``positionIdx`` 0) position; ``side`` is ``"Buy"`` or ``"Sell"``."""

    inst: Instrument
    side: str
    size: Decimal
    avg_price: Decimal
    leverage: Decimal
    created_ms: int
    updated_ms: int
    seq: int
    cum_realised: Decimal = Decimal(0)

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


def position_row(
    inst: Instrument,
    pos: Position | None,
    settings: SymbolSettings,
    trade_mode: int,
    mark: Decimal,
    now_ms: int,
) -> dict[str, Any]:
    """One ``/v5/position/list`` row; a flat symbol gives ``side ""`` and ``size "0"``."""
    tick = inst.tick_size
    leverage = pos.leverage if pos is not None else settings.leverage
    row: dict[str, Any] = {
        "positionIdx": 0,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": inst.symbol,
        "side": "",
        "size": "0",
        "avgPrice": "0",
        "positionValue": "0",
        "tradeMode": trade_mode,
        "autoAddMargin": 0,
        "positionStatus": "Normal",
        "leverage": fmt(leverage),
        "markPrice": fmt_price(mark, tick),
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
    if pos is not None and pos.size > 0:
        im = pos.initial_margin()
        value = notional(inst, pos.size, pos.avg_price)
        liq = pos.liq_price()
        q = Decimal("0.00000001")
        row.update(
            {
                "side": pos.side,
                "size": fmt(pos.size),
                "avgPrice": fmt(pos.avg_price),
                "positionValue": fmt(value.quantize(q)),
                "liqPrice": fmt_price(liq, tick) if liq > 0 else "",
                "positionIM": fmt(im.quantize(q)),
                "positionMM": fmt((value * MAINTENANCE_RATE).quantize(q)),
                "positionBalance": fmt(im.quantize(q)),
                "unrealisedPnl": fmt(pos.unrealised(mark).quantize(q)),
                "cumRealisedPnl": fmt(pos.cum_realised.quantize(q)),
                "adlRankIndicator": 2,
                "createdTime": str(pos.created_ms),
                "updatedTime": str(pos.updated_ms),
                "seq": pos.seq,
            }
        )
    return row


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
            "orderId": self.order_id,
            "orderLinkId": self.order_link_id,
            "blockTradeId": "",
            "symbol": self.inst.symbol,
            "price": fmt_price(self.price, tick) if self.price is not None else "0",
            "qty": fmt(self.qty),
            "side": self.side,
            "isLeverage": "",
            "positionIdx": 0,
            "orderStatus": self.status,
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "avgPrice": fmt(avg.quantize(tick / 100)) if self.cum_exec_qty > 0 else "",
            "leavesQty": fmt(self.leaves_qty),
            "leavesValue": fmt(Decimal(leaves_value).quantize(Decimal("0.00000001"))),
            "cumExecQty": fmt(self.cum_exec_qty),
            "cumExecValue": fmt(self.cum_exec_value.quantize(Decimal("0.00000001"))),
            "cumExecFee": fmt(self.cum_exec_fee.quantize(Decimal("0.00000001"))),
            "timeInForce": self.time_in_force,
            "orderType": self.order_type,
            "stopOrderType": "",
            "orderIv": "",
            "triggerPrice": "",
            "takeProfit": "",
            "stopLoss": "",
            "tpTriggerBy": "",
            "slTriggerBy": "",
            "triggerDirection": 0,
            "triggerBy": "",
            "lastPriceOnCreated": fmt_price(self.last_price_on_created, tick),
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": False,
            "smpType": "None",
            "smpGroup": 0,
            "smpOrderId": "",
            "tpslMode": "",
            "tpLimitPrice": "",
            "slLimitPrice": "",
            "placeType": "",
            "createdTime": str(self.created_ms),
            "updatedTime": str(self.updated_ms),
        }
        if fee_detail:
            fee = fmt(self.cum_exec_fee.quantize(Decimal("0.00000001")))
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
        q = Decimal("0.00000001")
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
            "execFee": fmt(self.fee.quantize(q)),
            "execId": self.exec_id,
            "execPrice": fmt_price(self.price, tick),
            "execQty": fmt(self.qty),
            "execType": "Trade",
            "execValue": fmt(notional(o.inst, self.qty, self.price).quantize(q)),
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
