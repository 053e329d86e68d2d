"""
How the CLI fails: exit codes, and every known failure turned into one :class:`CliError` (an
exit code, an ``error.type`` for ``--json`` and one line for the user).
"""

from __future__ import annotations

import re

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.errors import ConfigError


__all__ = [
    "EXIT_CONFIG",
    "EXIT_EXCHANGE",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_CONFIRMED",
    "EXIT_OK",
    "EXIT_OUTPUT_CLOSED",
    "CliError",
    "failure_of",
]

EXIT_OK = 0
EXIT_NOT_CONFIRMED = 1
EXIT_CONFIG = 2
EXIT_EXCHANGE = 3
EXIT_INTERRUPTED = 130
#: stdout was closed before everything was written (``plan | head -1``): 128 + SIGPIPE.
EXIT_OUTPUT_CLOSED = 141

KEYS_REFUSED = (
    "Check exchange.key and exchange.secret (config, config-private.json or "
    "FREQTRADE__EXCHANGE__KEY / FREQTRADE__EXCHANGE__SECRET), their permissions and that they "
    "belong to this host (mainnet, testnet or demo trading)."
)


class CliError(Exception):
    """A failure the CLI reports in one line (or a few, for several config problems).

    :param exit_code: the process exit code
    :param kind: ``error.type`` of the ``--json`` error document
    :param message: what the user reads
    :param exception: the exception class behind it, if any
    """

    def __init__(
        self, exit_code: int, kind: str, message: str, exception: str | None = None
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.kind = kind
        self.message = message
        self.exception = exception


def failure_of(error: BaseException) -> CliError | None:
    """
    The CLI's report of a known failure. ccxt errors go by their classified kind
    (:func:`~freqtrade_bybit_margin.client.classify.classify`): a key refused or lacking a
    permission, the network, or another exchange error; all exit 3.

    :param error: what a command raised
    :return: the report, or None for an error the CLI does not know (a bug: let it show)
    """
    name = type(error).__name__
    if isinstance(error, CliError):
        return error
    if isinstance(error, ConfigError):
        return CliError(EXIT_CONFIG, "config", f"Configuration error: {error}", name)
    if isinstance(error, KeyboardInterrupt):
        return CliError(EXIT_INTERRUPTED, "interrupted", "Interrupted.", name)
    if not isinstance(error, ccxt.BaseError):
        return None
    failure = classify(error)
    if failure.kind.key_refused:
        message = f"Bybit refused the API keys: {failure.reason.rstrip('.')}. {KEYS_REFUSED}"
        return CliError(EXIT_EXCHANGE, "authentication", message, name)
    if isinstance(error, ccxt.NetworkError):
        return CliError(EXIT_EXCHANGE, "network", f"Network error: {_network_reason(error)}", name)
    return CliError(EXIT_EXCHANGE, "exchange", f"Exchange error: {failure.reason}", name)


def _network_reason(error: ccxt.NetworkError) -> str:
    """ccxt's message (method and URL) plus the socket-level cause when there is one."""
    text = str(error).replace("\n", " ")[:200]
    cause = error.__cause__ or error.__context__
    if cause is not None:
        found = re.search(r"\[Errno -?\d+\][^\"')]*|timed out|Read timed out", str(cause))
        text += f" ({found.group(0).strip() if found else type(cause).__name__})"
    return text
