"""
``freqtrade-bybit-margin``: see and fix the margin setup of a freqtrade bot's Bybit pairs.

``plan`` (read-only), ``apply`` and ``status`` read the same freqtrade config the bot reads and
use the same :class:`~freqtrade_bybit_margin.service.MarginService` as the strategy mixin, so
what they show is what the bot does at startup. ``demo`` runs the end-to-end demonstration,
``simulator`` serves the local Bybit simulator to try the others against.

This module is the parser and the entry point: it turns every known failure into one line on
stderr (and, with ``--json``, an error document on stdout) and an exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from freqtrade_bybit_margin import __version__
from freqtrade_bybit_margin.cli import commands, simulator
from freqtrade_bybit_margin.cli.documents import dump_json, error_document
from freqtrade_bybit_margin.cli.failures import (
    EXIT_CONFIG,
    EXIT_EXCHANGE,
    EXIT_INTERRUPTED,
    EXIT_NOT_CONFIRMED,
    EXIT_OK,
    EXIT_OUTPUT_CLOSED,
    CliError,
    failure_of,
)
from freqtrade_bybit_margin.cli.freqtrade_config import redact
from freqtrade_bybit_margin.compat import runtime_problem
from freqtrade_bybit_margin.demo import run as demo
from freqtrade_bybit_margin.redact import scrub


__all__ = ["PROG", "build_parser", "main"]

PROG = "freqtrade-bybit-margin"

EPILOG = f"""\
exit codes:
  {EXIT_OK}    success (apply: every pair is confirmed at its margin mode and leverage)
  {EXIT_NOT_CONFIRMED}    apply: at least one pair is not confirmed, or you declined the prompt
  {EXIT_CONFIG}    usage or configuration error: bad arguments, config file missing or not
       valid JSON, a bad bybit_margin value (or a misspelt section name), freqtrade's
       margin_mode cross, no API keys, no pair to work on, a pair outside the whitelist
       (without --any-pair), freqtrade or ccxt outside the supported range
  {EXIT_EXCHANGE}    exchange error: API keys refused (10003 / 10004) or lacking a permission
       (10005, also when apply's writes are refused for it; apply stops before any write
       when Bybit says the key is read-only or lacks Contract Orders / Positions), network
       error or Bybit unreachable
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
  {EXIT_OUTPUT_CLOSED}  stdout closed before everything was written (e.g. piped into head)
With --json, a failure prints {{"error": {{"type", "message", "exception"}}, "exit_code"}}.

API keys come from the config (exchange.key / exchange.secret), a second config file such as
config-private.json (-c config.json -c config-private.json; used automatically next to the
default user_data/config.json), or FREQTRADE__EXCHANGE__KEY / FREQTRADE__EXCHANGE__SECRET.
exchange.demo_trading: true sends every request to Bybit's demo trading host.
"""


class UsageError(Exception):
    """argparse's complaint, raised instead of printed so that ``--json`` can report it."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage(), self.prog)


def _pairs_arg(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _common_options() -> _Parser:
    common = _Parser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "-c",
        "--config",
        action="append",
        metavar="PATH",
        help="freqtrade config file; repeat to layer several (later wins). "
        "Default: <userdir>/config.json, plus <userdir>/config-private.json if it exists.",
    )
    group.add_argument(
        "--userdir",
        "--user-data-dir",
        dest="userdir",
        metavar="PATH",
        help="freqtrade user data directory (default: user_data).",
    )
    group.add_argument(
        "-p",
        "--pairs",
        action="append",
        type=_pairs_arg,
        metavar="PAIRS",
        help="only these pairs of the config's whitelist, as freqtrade builds it (a dynamic "
        "pairlist resolved from Bybit's public market data); comma-separated or repeated; "
        "regular expressions (case-insensitive, full match) select within the whitelist.",
    )
    group.add_argument(
        "--any-pair",
        action="store_true",
        help="let --pairs name pairs outside the config's whitelist (names and regular "
        "expressions then match every Bybit futures market).",
    )
    group.add_argument(
        "--json", action="store_true", help="print one JSON document instead of tables."
    )
    group.add_argument("-v", "--verbose", action="store_true", help="log what is done to stderr.")
    return common


#: The commands that work on the config's pairs: (name, function, help).
MARGIN_COMMANDS: tuple[tuple[str, commands.Command, str], ...] = (
    (
        "plan",
        commands.plan,
        "Show what apply would do for each pair: current and target margin mode and leverage, "
        "mechanism, action, and the account-wide step. Read-only.",
    ),
    (
        "apply",
        commands.apply,
        "Bring every pair to its target margin mode and leverage (asks first unless --yes).",
    ),
    (
        "status",
        commands.status,
        "Show the account type, the account margin mode and each pair's margin mode, leverage "
        "and open position / orders. Read-only.",
    ),
)
SIMULATOR_HELP = (
    "Serve the local Bybit V5 simulator on 127.0.0.1 and write a config overlay pointing "
    "freqtrade at it. Ctrl-C stops it."
)


def build_parser() -> argparse.ArgumentParser:
    """
    The argument parser, with one sub-parser per command.

    :return: the parser
    """
    parser = _Parser(
        prog=PROG,
        description="Bring every pair a freqtrade bot may trade on Bybit to the configured "
        "margin mode and leverage, before any position opens.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common_options()
    for name, command, text in MARGIN_COMMANDS:
        command_parser = sub.add_parser(
            name,
            parents=[common],
            help=text,
            description=text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command_parser.set_defaults(handler=command)
        if name == "apply":
            command_parser.add_argument(
                "-y", "--yes", action="store_true", help="do not ask for confirmation."
            )
    for name, module, text in (
        ("demo", demo, demo.DESCRIPTION),
        ("simulator", simulator, SIMULATOR_HELP),
    ):
        command_parser = sub.add_parser(name, help=text, description=text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the CLI.

    :param argv: arguments without the program name (default: ``sys.argv[1:]``)
    :return: the exit code (see ``--help``)
    """
    try:
        code = _main(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OUTPUT_CLOSED


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        sys.stderr.write(error.usage)
        failure = CliError(EXIT_CONFIG, "usage", f"{error.prog}: error: {error.message}")
        return _report(failure, _command_of(argv), "--json" in argv, ())
    except SystemExit as stop:  # --help and --version
        return stop.code if isinstance(stop.code, int) else EXIT_CONFIG
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if getattr(args, "pairs", None) is not None:
        args.pairs = [pair for group in args.pairs for pair in group]
    return _run(args)


def _silence_stdout() -> None:
    """The reader of stdout went away (``| head``): what is still buffered goes nowhere, so that
    the interpreter's own flush at exit does not fail again with a traceback."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _run(args: argparse.Namespace) -> int:
    """Run the command; known failures become a report and an exit code."""
    secrets: list[str] = []
    try:
        problem = runtime_problem()
        if problem is not None:
            raise CliError(EXIT_CONFIG, "runtime", problem)
        if getattr(args, "run", None) is not None:
            return int(args.run(args))
        return args.handler(commands.build_context(args, secrets))  # type: ignore[no-any-return]
    except (Exception, KeyboardInterrupt) as error:
        failure = failure_of(error)
        if failure is None:
            raise
        return _report(failure, args.command, getattr(args, "json", False), secrets)


def _report(failure: CliError, command: str | None, as_json: bool, secrets: Sequence[str]) -> int:
    """One line (or a few, for several config problems) on stderr, credentials removed; with
    ``--json`` also the error document on stdout."""
    message = scrub(redact(failure.message, secrets))
    print(message, file=sys.stderr)
    if as_json:
        document = error_document(
            command, failure.kind, message, failure.exit_code, failure.exception
        )
        dump_json(document, sys.stdout)
    return failure.exit_code


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``, even when the rest of it did not parse."""
    known = [name for name, _, _ in MARGIN_COMMANDS] + ["demo", "simulator"]
    return next((word for word in argv if word in known), None)
