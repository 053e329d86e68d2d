"""Minimal strategies for tests (freqtrade's ``tests/strategy/strats`` pattern)."""

from typing import Any

from freqtrade.strategy import IStrategy
from pandas import DataFrame

from freqtrade_bybit_margin import BybitMarginMixin
from freqtrade_bybit_margin.service import RetryPolicy


class AlwaysLong(IStrategy):
    """Always wants to be long; everything else stays out of the way."""

    INTERFACE_VERSION = 3
    timeframe = "1m"
    can_short = True
    minimal_roi = {"0": 10.0}
    stoploss = -0.5
    startup_candle_count = 0

    def populate_indicators(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        dataframe["enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        return dataframe


class MarginTestStrategy(BybitMarginMixin, AlwaysLong):
    """:class:`AlwaysLong` with the mixin; a transient failure is retried in hundredths of a
    second, not seconds (the retry's shape is the production one)."""

    bybit_margin_retry = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.04, deadline=3.0)


class ForgetfulStrategy(MarginTestStrategy):
    """Overrides bot_start without calling super(): the mixin's start runs late."""

    def bot_start(self, **kwargs: Any) -> None:
        self.started_by_user = True


class PlainTestStrategy(AlwaysLong):
    """freqtrade alone, at 3x (for the benchmarks)."""

    def leverage(self, pair: str, *args: Any, **kwargs: Any) -> float:
        return 3.0


class OverridingStrategy(MarginTestStrategy):
    """Overrides ``leverage()`` the way the README allows: entries tagged ``low`` at 2x."""

    def leverage(self, pair: str, *args: Any, **kwargs: Any) -> float:
        configured = super().leverage(pair, *args, **kwargs)
        return 2.0 if kwargs.get("entry_tag") == "low" else configured
