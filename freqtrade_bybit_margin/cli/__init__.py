"""The ``freqtrade-bybit-margin`` command line.

``app`` (parser, error handling, entry point), ``commands`` (plan / apply / status), ``simulator``
(the ``simulator`` command), ``freqtrade_config`` (config files, credentials, the strategy's
attribute), ``exchange`` (the ccxt client), ``pairs`` (which pairs), ``output`` (rich tables and
progress) and ``documents`` (the ``--json`` documents).
"""

from __future__ import annotations

from collections.abc import Sequence


__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the CLI (the console script's entry point).

    Imported on call, so that ``freqtrade_bybit_margin.cli.output`` can be used by the demo
    without importing the whole command line.
    :param argv: arguments without the program name (default: ``sys.argv[1:]``)
    :return: the exit code
    """
    from freqtrade_bybit_margin.cli.app import main as run

    return run(argv)
