"""``python -m freqtrade_bybit_margin``: the same as the ``freqtrade-bybit-margin`` command."""

from freqtrade_bybit_margin.cli import main


if __name__ == "__main__":
    raise SystemExit(main())
