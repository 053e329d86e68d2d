"""
Sample strategy for freqtrade-bybit-margin: a small EMA trend follower, long and short.

The only Bybit-specific line is the base class: ``BybitMarginMixin`` before ``IStrategy``.
The margin mode and leverage come from the ``bybit_margin`` section of the config (the class
attribute below holds defaults that the section overrides key by key).

Signals are states, not crossings: while the fast EMA is above the slow one and RSI confirms
the momentum (above 50), the strategy wants to be long; mirrored for shorts. It works with 5m
and 1m candles.
"""

import logging
from typing import Any

import talib.abstract as ta
from freqtrade.strategy import IStrategy
from pandas import DataFrame  # type: ignore[import-untyped]

from freqtrade_bybit_margin import BybitMarginMixin


logger = logging.getLogger(__name__)


class BybitMarginSample(BybitMarginMixin, IStrategy):  # type: ignore[misc]
    """EMA(8) / EMA(21) trend with an RSI(14) momentum filter; shorts mirror longs."""

    INTERFACE_VERSION = 3

    can_short = True
    timeframe = "5m"
    startup_candle_count = 30
    process_only_new_candles = True

    minimal_roi = {"0": 0.03, "60": 0.015, "180": 0.0}
    stoploss = -0.05
    trailing_stop = False

    # Defaults only; "bybit_margin" in the config overrides them key by key.
    bybit_margin = {"leverage": 2, "on_failure": "block"}

    ema_fast = 8
    ema_slow = 21
    rsi_midline = 50

    def populate_indicators(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        dataframe["ema_fast"] = ta.EMA(dataframe, timeperiod=self.ema_fast)
        dataframe["ema_slow"] = ta.EMA(dataframe, timeperiod=self.ema_slow)
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        up = dataframe["ema_fast"] > dataframe["ema_slow"]
        down = dataframe["ema_fast"] < dataframe["ema_slow"]
        active = dataframe["volume"] > 0
        dataframe.loc[up & (dataframe["rsi"] > self.rsi_midline) & active, "enter_long"] = 1
        dataframe.loc[down & (dataframe["rsi"] < self.rsi_midline) & active, "enter_short"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        dataframe.loc[dataframe["ema_fast"] < dataframe["ema_slow"], "exit_long"] = 1
        dataframe.loc[dataframe["ema_fast"] > dataframe["ema_slow"], "exit_short"] = 1
        return dataframe
