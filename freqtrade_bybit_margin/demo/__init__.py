"""The end-to-end demo: the real freqtrade bot, live, against the local Bybit simulator."""

from freqtrade_bybit_margin.demo.run import add_arguments, run


__all__ = ["add_arguments", "run"]
