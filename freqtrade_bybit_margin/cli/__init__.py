"""The ``freqtrade-bybit-margin`` command line.

``app`` (parser, error handling, entry point), ``commands`` (plan / apply / status), ``simulator``
(the ``simulator`` command), ``freqtrade_config`` (config files, credentials, the strategy's
attribute), ``exchange`` (the ccxt client), ``pairs`` (which pairs), ``output`` (rich tables and
progress) and ``documents`` (the ``--json`` documents). The ``demo`` command is the
:mod:`freqtrade_bybit_margin.demo` package, which imports nothing from here.
"""

from freqtrade_bybit_margin.cli.app import main


__all__ = ["main"]
