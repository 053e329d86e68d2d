"""
Deterministic market data: one price path per symbol, from which klines, the order book,
tickers and fills are all derived so they agree with each other.

``price(t) = base * exp(trend * minutes(t - anchor)) * (1 + noise(t))`` where the trend
defaults to about +0.05 %/minute and the noise is a few sine components (~0.3 %) with a
per-symbol phase. Row shapes: https://bybit-exchange.github.io/docs/v5/market/kline ,
https://bybit-exchange.github.io/docs/v5/market/orderbook ,
https://bybit-exchange.github.io/docs/v5/market/tickers ,
https://bybit-exchange.github.io/docs/v5/market/history-fund-rate ,
https://bybit-exchange.github.io/docs/v5/market/risk-limit
"""

import math
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any

from freqtrade_bybit_margin.simulator.formatting import fmt, fmt_price, quantize
from freqtrade_bybit_margin.simulator.instruments import Instrument


MINUTE_MS = 60_000
DEFAULT_TREND_PCT_PER_MINUTE = 0.05
#: (amplitude as a fraction, period in minutes) of the deterministic noise
NOISE_COMPONENTS: tuple[tuple[float, float], ...] = ((0.0015, 23.0), (0.001, 61.0), (0.0006, 7.3))
#: half spread around the mid price, as a fraction (the book is at least one tick wide)
HALF_SPREAD = 0.0001
#: kline ``interval`` values -> minutes (https://bybit-exchange.github.io/docs/v5/enum#interval)
INTERVAL_MINUTES: dict[str, int] = {
    **{str(m): m for m in (1, 3, 5, 15, 30, 60, 120, 240, 360, 720)},
    "D": 1440,
    "W": 10080,
}
FUNDING_RATE = "0.0001"


@dataclass
class PriceModel:
    """The deterministic price path of every symbol; trends can be changed per symbol."""

    anchor_ms: int
    trends: dict[str, float] = field(default_factory=dict)

    def set_trend(self, symbol: str, pct_per_minute: float) -> None:
        """Set the drift of ``symbol`` in percent per minute (negative = downtrend)."""
        self.trends[symbol] = pct_per_minute

    def mid(self, inst: Instrument, t_ms: int) -> float:
        """Mid price of ``inst`` at ``t_ms`` as a float."""
        minutes = (t_ms - self.anchor_ms) / MINUTE_MS
        trend = self.trends.get(inst.symbol, DEFAULT_TREND_PCT_PER_MINUTE) / 100.0
        phase = (zlib.crc32(inst.symbol.encode()) % 1000) / 1000.0 * 2 * math.pi
        noise = sum(
            amp * math.sin(2 * math.pi * minutes / period + phase * (k + 1))
            for k, (amp, period) in enumerate(NOISE_COMPONENTS)
        )
        return float(inst.base_price) * math.exp(math.log1p(trend) * minutes) * (1.0 + noise)

    def price(self, inst: Instrument, t_ms: int) -> Decimal:
        """Mid price rounded to the instrument's tick (never below one tick)."""
        value = quantize(Decimal(repr(self.mid(inst, t_ms))), inst.tick_size)
        return max(value, inst.tick_size)

    def book(self, inst: Instrument, t_ms: int) -> tuple[Decimal, Decimal]:
        """Best ``(bid, ask)`` at ``t_ms``: a small spread around the mid, at least one tick."""
        mid = Decimal(repr(self.mid(inst, t_ms)))
        half = mid * Decimal(repr(HALF_SPREAD))
        bid = max(quantize(mid - half, inst.tick_size, ROUND_DOWN), inst.tick_size)
        ask = max(quantize(mid + half, inst.tick_size, ROUND_UP), bid + inst.tick_size)
        return bid, ask

    def orderbook(self, inst: Instrument, t_ms: int, depth: int) -> dict[str, Any]:
        """``/v5/market/orderbook`` result with ``depth`` levels a side."""
        bid, ask = self.book(inst, t_ms)
        size = fmt(inst.min_qty * 100)
        bids = [[fmt_price(bid - inst.tick_size * i, inst.tick_size), size] for i in range(depth)]
        asks = [[fmt_price(ask + inst.tick_size * i, inst.tick_size), size] for i in range(depth)]
        bids = [row for row in bids if Decimal(row[0]) > 0]
        return {
            "s": inst.symbol,
            "b": bids,
            "a": asks,
            "ts": t_ms,
            "u": t_ms // 100,
            "seq": t_ms,
            "cts": t_ms,
        }

    def candle(
        self, inst: Instrument, start_ms: int, interval_ms: int, now_ms: int
    ) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """``(open, high, low, close)`` of the candle opening at ``start_ms`` (maybe unfinished)."""
        end = min(start_ms + interval_ms - 1, now_ms)
        samples = 12
        points = [start_ms + (end - start_ms) * i // samples for i in range(samples + 1)]
        mids = [self.mid(inst, t) for t in points]
        wick = 1.0 + HALF_SPREAD * 2
        tick = inst.tick_size
        o = self.price(inst, start_ms)
        c = self.price(inst, end)
        h = max(quantize(Decimal(repr(max(mids) * wick)), tick, ROUND_UP), o, c)
        low = min(max(quantize(Decimal(repr(min(mids) / wick)), tick), tick), o, c)
        return o, h, low, c

    def klines(
        self,
        inst: Instrument,
        interval: str,
        now_ms: int,
        *,
        start: int | None,
        end: int | None,
        limit: int,
        with_volume: bool = True,
    ) -> list[list[str]]:
        """Newest-first kline rows; the newest is the current, unfinished candle.

        With only ``start`` the ``limit`` candles from ``start`` onwards are returned, otherwise
        the ``limit`` candles ending at ``end`` (default now).
        """
        interval_ms = INTERVAL_MINUTES[interval] * MINUTE_MS
        last_open = (min(end, now_ms) if end is not None else now_ms) // interval_ms * interval_ms
        first_open = -(-start // interval_ms) * interval_ms if start is not None else None
        if first_open is not None and end is None:
            last_open = min(last_open, first_open + (limit - 1) * interval_ms)
        opens: list[int] = []
        t = last_open
        while len(opens) < limit and (first_open is None or t >= first_open):
            opens.append(t)
            t -= interval_ms
        rows = []
        for t0 in opens:
            o, h, low, c = self.candle(inst, t0, interval_ms, now_ms)
            row = [str(t0), *(fmt_price(v, inst.tick_size) for v in (o, h, low, c))]
            if with_volume:
                volume = (inst.min_qty * 1000 * (2 + Decimal(t0 // interval_ms % 7))).normalize()
                row += [fmt(volume), fmt((volume * c).quantize(Decimal("0.0001")))]
            rows.append(row)
        return rows

    def ticker(self, inst: Instrument, t_ms: int) -> dict[str, Any]:
        """One ``/v5/market/tickers`` row."""
        bid, ask = self.book(inst, t_ms)
        tick = inst.tick_size
        last = self.price(inst, t_ms)
        prev24 = self.price(inst, t_ms - 1440 * MINUTE_MS)
        _, h, low, _ = self.candle(inst, t_ms - 1440 * MINUTE_MS, 1440 * MINUTE_MS, t_ms)
        row: dict[str, Any] = {
            "symbol": inst.symbol,
            "lastPrice": fmt_price(last, tick),
            "bid1Price": fmt_price(bid, tick),
            "bid1Size": fmt(inst.min_qty * 100),
            "ask1Price": fmt_price(ask, tick),
            "ask1Size": fmt(inst.min_qty * 100),
            "prevPrice24h": fmt_price(prev24, tick),
            "price24hPcnt": str(((last - prev24) / prev24).quantize(Decimal("0.000001"))),
            "highPrice24h": fmt_price(h, tick),
            "lowPrice24h": fmt_price(low, tick),
            "turnover24h": fmt((inst.min_qty * 100000 * last).quantize(Decimal("0.01"))),
            "volume24h": fmt(inst.min_qty * 100000),
        }
        if inst.is_derivative:
            interval = inst.funding_interval_min * MINUTE_MS
            row.update(
                {
                    "indexPrice": fmt_price(last, tick),
                    "markPrice": fmt_price(last, tick),
                    "prevPrice1h": fmt_price(self.price(inst, t_ms - 60 * MINUTE_MS), tick),
                    "openInterest": fmt(inst.min_qty * 50000),
                    "openInterestValue": fmt(
                        (inst.min_qty * 50000 * last).quantize(Decimal("0.01"))
                    ),
                    "fundingRate": FUNDING_RATE,
                    "nextFundingTime": str((t_ms // interval + 1) * interval),
                    "predictedDeliveryPrice": "",
                    "basisRate": "",
                    "deliveryFeeRate": "",
                    "deliveryTime": "0",
                }
            )
        return row


def funding_history(
    inst: Instrument, now_ms: int, *, start: int | None, end: int | None, limit: int
) -> list[dict[str, str]]:
    """Newest-first funding-rate rows at every funding interval within ``[start, end]``."""
    interval = inst.funding_interval_min * MINUTE_MS
    last = min(end, now_ms) if end is not None else now_ms
    t = last // interval * interval
    rows: list[dict[str, str]] = []
    while len(rows) < limit and (start is None or t >= start):
        rows.append(
            {"symbol": inst.symbol, "fundingRate": FUNDING_RATE, "fundingRateTimestamp": str(t)}
        )
        t -= interval
    return rows


def risk_tiers(inst: Instrument) -> list[dict[str, Any]]:
    """Risk-limit tiers; the first tier's ``maxLeverage`` equals ``leverageFilter.maxLeverage``."""
    base_value = Decimal(2_000_000) if inst.max_leverage >= 100 else Decimal(200_000)
    tiers = []
    for k in range(4):
        max_lev = inst.max_leverage / (2**k)
        mm = Decimal(1) / (max_lev * 2)
        tiers.append(
            {
                "id": k + 1,
                "symbol": inst.symbol,
                "riskLimitValue": fmt(base_value * (k + 1)),
                "maintenanceMargin": fmt(mm.quantize(Decimal("0.0001"))),
                "initialMargin": fmt((Decimal(1) / max_lev).quantize(Decimal("0.0001"))),
                "isLowestRisk": 1 if k == 0 else 0,
                "maxLeverage": f"{max_lev:.2f}",
                "mmDeduction": "",
            }
        )
    return tiers
