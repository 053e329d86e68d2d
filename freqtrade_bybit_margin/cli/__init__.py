"""The ``freqtrade-bybit-margin`` command line: parser and commands, freqtrade config loading,
the exchange client, pair selection and rich output."""

from freqtrade_bybit_margin.cli.app import main


__all__ = ["main"]
