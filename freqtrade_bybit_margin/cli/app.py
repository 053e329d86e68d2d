"""
``freqtrade-bybit-margin``: see and fix the margin setup of a freqtrade bot's Bybit pairs.

``plan`` (read-only), ``apply`` and ``status`` read the same freqtrade config the bot reads and
use the same :class:`~freqtrade_bybit_margin.service.MarginService` as the strategy mixin, so
what they show is what the bot does at startup. ``demo`` runs the end-to-end demonstration.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import ccxt

from freqtrade_bybit_margin import __version__
from freqtrade_bybit_margin.cli.freqtrade_config import (
    LoadedConfig,
    PairSelection,
    build_exchange,
    check_credentials,
    config_files,
    endpoint_label,
    load_config,
    redact,
    select_pairs,
    strategy_defaults,
)
from freqtrade_bybit_margin.cli.output import (
    Header,
    apply_document,
    dump_json,
    emit,
    make_console,
    plan_document,
    plan_summary,
    plan_table,
    print_header,
    result_summary,
    result_table,
    status_document,
    status_table,
)
from freqtrade_bybit_margin.config import MarginSettings, check_leverage_limits, load_settings
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.model import Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.service.classify import classify
from freqtrade_bybit_margin.service.margin_service import Action, MarginService


logger = logging.getLogger(__name__)

PROG = "freqtrade-bybit-margin"

EXIT_OK = 0
EXIT_NOT_CONFIRMED = 1
EXIT_CONFIG = 2
EXIT_EXCHANGE = 3
EXIT_INTERRUPTED = 130

#: ``apply`` prepares pairs in batches of this size when it shows progress.
BATCH_SIZE = 20

EPILOG = f"""\
exit codes:
  {EXIT_OK}  success (apply: every pair is confirmed at its margin mode and leverage)
  {EXIT_NOT_CONFIRMED}  apply: at least one pair is not confirmed, or you declined the prompt
  {EXIT_CONFIG}  usage or configuration error: bad arguments, config file missing or not
     valid JSON, a bad bybit_margin value, no API keys, no pair to work on
  {EXIT_EXCHANGE}  exchange error: API keys refused (e.g. 10003 / 10004), missing permission,
     network error or Bybit unreachable

API keys come from the config (exchange.key / exchange.secret), a second config file such as
config-private.json (-c config.json -c config-private.json; used automatically next to the
default user_data/config.json), or FREQTRADE__EXCHANGE__KEY / FREQTRADE__EXCHANGE__SECRET.
exchange.demo_trading: true sends every request to Bybit's demo trading host.
"""


@dataclass(frozen=True)
class Context:
    """Everything a command needs, built from the config before the first private request."""

    args: argparse.Namespace
    loaded: LoadedConfig
    settings: MarginSettings
    service: MarginService
    selection: PairSelection
    endpoint: str

    @property
    def targets(self) -> list[PairTarget]:
        return [self.settings.target_for(pair) for pair in self.selection.pairs]


Command = Callable[[Context], int]


# --- argument parsing --------------------------------------------------------------------------


def _pairs_arg(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
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
        help="only these pairs (comma-separated or repeated; regular expressions allowed) "
        "instead of the config's whitelist.",
    )
    group.add_argument(
        "--json", action="store_true", help="print one JSON document instead of tables."
    )
    group.add_argument("-v", "--verbose", action="store_true", help="log what is done to stderr.")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Bring every pair a freqtrade bot may trade on Bybit to the configured "
        "margin mode and leverage, before any position opens.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common_options()

    def add(name: str, command: Command, help_text: str) -> argparse.ArgumentParser:
        sub_parser = sub.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub_parser.set_defaults(handler=command)
        return sub_parser

    add(
        "plan",
        _plan,
        "Show what apply would do for each pair: current and target margin mode and leverage, "
        "mechanism, action. Read-only.",
    )
    apply = add(
        "apply",
        _apply,
        "Bring every pair to its target margin mode and leverage (asks first unless --yes).",
    )
    apply.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation.")
    add(
        "status",
        _status,
        "Show the account type, the account margin mode and each pair's margin mode, leverage "
        "and open position / orders. Read-only.",
    )
    _add_demo(sub)
    return parser


def _add_demo(sub: Any) -> None:
    """Register ``demo``; its module is imported here only, and may not exist yet."""
    help_text = "Run the bot against the local Bybit simulator and show when each pair was set."
    demo = sub.add_parser("demo", help=help_text, description=help_text)
    module: ModuleType | None
    reason = ""
    try:
        module = importlib.import_module("freqtrade_bybit_margin.demo")
    except ImportError as error:
        module = None
        reason = str(error)
    if module is not None and hasattr(module, "add_arguments") and hasattr(module, "run"):
        module.add_arguments(demo)
        demo.set_defaults(run=module.run)
    else:
        why = reason if module is None else "freqtrade_bybit_margin.demo has no run()"

        def unavailable(_: argparse.Namespace) -> int:
            _error(f"demo: not available in this installation ({why}).")
            return EXIT_CONFIG

        demo.set_defaults(run=unavailable)


# --- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the CLI.

    :param argv: arguments without the program name (default: ``sys.argv[1:]``)
    :return: the exit code (see ``--help``)
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors
        return stop.code if isinstance(stop.code, int) else EXIT_CONFIG
    if getattr(args, "run", None) is not None:
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    args.pairs = [pair for group in args.pairs or [] for pair in group]
    return _run(args, args.handler)


def _run(args: argparse.Namespace, command: Command) -> int:
    """Build the context, run the command, and turn known failures into one-line messages."""
    secrets: tuple[str, ...] = ()
    try:
        loaded = load_config(config_files(args.config, args.userdir))
        secrets = loaded.secrets
        defaults, note = strategy_defaults(loaded.config, args.userdir)
        settings = load_settings(loaded.config, defaults)
        check_credentials(loaded.config)
        exchange = build_exchange(loaded.config)
        endpoint = endpoint_label(loaded.config, exchange)
        exchange.load_markets()
        selection = select_pairs(loaded.config, exchange.markets, args.pairs)
        if note:
            selection.notes.insert(0, note)
        if args.command == "apply" and loaded.config.get("dry_run", True):
            selection.notes.append(
                "dry_run is true in the config: the bot itself will not touch margin settings, "
                "but apply changes the live account these keys belong to."
            )
        check_leverage_limits(settings, selection.pairs, exchange.markets)
        service = MarginService(exchange)
        return command(Context(args, loaded, settings, service, selection, endpoint))
    except ConfigError as error:
        _error(f"Configuration error: {error}", secrets)
        return EXIT_CONFIG
    except (ccxt.AuthenticationError, ccxt.PermissionDenied) as error:
        _error(
            f"Bybit refused the API keys: {classify(error).reason.rstrip('.')}. Check "
            "exchange.key and exchange.secret (config, config-private.json or "
            "FREQTRADE__EXCHANGE__KEY / FREQTRADE__EXCHANGE__SECRET), their permissions and "
            "that they belong to this host (mainnet, testnet or demo trading).",
            secrets,
        )
        return EXIT_EXCHANGE
    except ccxt.NetworkError as error:
        _error(f"Network error: {_network_reason(error)}", secrets)
        return EXIT_EXCHANGE
    except ccxt.BaseError as error:
        _error(f"Exchange error: {classify(error).reason}", secrets)
        return EXIT_EXCHANGE
    except KeyboardInterrupt:
        _error("Interrupted.", secrets)
        return EXIT_INTERRUPTED


def _network_reason(error: ccxt.NetworkError) -> str:
    """ccxt's message (method and URL) plus the socket-level cause when there is one."""
    text = str(error).replace("\n", " ")[:200]
    cause = error.__cause__ or error.__context__
    if cause is not None:
        found = re.search(r"\[Errno -?\d+\][^\"')]*|timed out|Read timed out", str(cause))
        text += f" ({found.group(0).strip() if found else type(cause).__name__})"
    return text


def _error(message: str, secrets: Sequence[str] = ()) -> None:
    """One line (or a few, for several config problems) on stderr, credentials removed."""
    print(redact(message, secrets), file=sys.stderr)


def _header(ctx: Context, command: str, account_margin_mode: str | None) -> Header:
    return Header(
        command,
        ctx.service.account_type,
        account_margin_mode,
        ctx.endpoint,
        tuple(ctx.selection.notes),
    )


# --- commands ----------------------------------------------------------------------------------


def _plan(ctx: Context) -> int:
    status, plans = ctx.service.plan(ctx.targets)
    header = _header(ctx, "plan", status.account_margin_mode)
    if ctx.args.json:
        dump_json(plan_document(header, plans), sys.stdout)
        return EXIT_OK
    console = make_console(sys.stdout)
    print_header(console, header)
    emit(console, plan_table(plans), plan_summary(plans))
    return EXIT_OK


def _status(ctx: Context) -> int:
    status = ctx.service.status(ctx.selection.pairs)
    mechanisms = [ctx.service.mechanism_for(pair).value for pair in ctx.selection.pairs]
    header = _header(ctx, "status", status.account_margin_mode)
    if ctx.args.json:
        dump_json(status_document(header, status, mechanisms), sys.stdout)
        return EXIT_OK
    console = make_console(sys.stdout)
    print_header(console, header)
    emit(console, status_table(status, mechanisms))
    if status.busy_symbols:
        emit(console, f"Open positions or orders on: {', '.join(status.busy_symbols)}")
    return EXIT_OK


def _apply(ctx: Context) -> int:
    targets = ctx.targets
    status, plans = ctx.service.plan(targets)
    header = _header(ctx, "apply", status.account_margin_mode)
    console = make_console(sys.stdout)
    if not ctx.args.json:
        print_header(console, header)
        emit(console, plan_table(plans, title="Plan"), plan_summary(plans))
        emit(console, "")
    if all(plan.action is Action.NONE for plan in plans):
        results = [
            PairResult(
                target=plan.target,
                mechanism=plan.mechanism,
                outcome=Outcome.UNCHANGED,
                confirmed=True,
                reason="already at target; nothing sent",
            )
            for plan in plans
        ]
    else:
        if not ctx.args.yes and not _confirm(len(targets)):
            return EXIT_NOT_CONFIRMED if sys.stdin.isatty() else EXIT_CONFIG
        results = _prepare(ctx.service, targets)
    if ctx.args.json:
        dump_json(apply_document(header, results), sys.stdout)
    else:
        emit(console, result_table(results), result_summary(results))
    return EXIT_OK if all(result.confirmed for result in results) else EXIT_NOT_CONFIRMED


def _confirm(count: int) -> bool:
    """Ask on the terminal; without one, refuse and say how to proceed."""
    if not sys.stdin.isatty():
        _error(
            "apply changes margin mode and leverage on your Bybit account and there is no "
            "terminal to ask for confirmation; run it again with --yes. Nothing was changed."
        )
        return False
    sys.stderr.write(f"Apply margin mode and leverage to {count} pairs on Bybit? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer in ("y", "yes"):
        return True
    _error("Aborted; nothing was changed.")
    return False


def _prepare(service: MarginService, targets: Sequence[PairTarget]) -> list[PairResult]:
    """``service.prepare`` in batches, with progress on stderr when the whitelist is long."""
    if len(targets) <= BATCH_SIZE:
        return service.prepare(targets)
    results: list[PairResult] = []
    batches = [targets[i : i + BATCH_SIZE] for i in range(0, len(targets), BATCH_SIZE)]
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(console=make_console(sys.stderr), transient=True) as progress:
            task = progress.add_task("Preparing pairs", total=len(targets))
            for batch in batches:
                results.extend(service.prepare(batch))
                progress.advance(task, len(batch))
        return results
    for batch in batches:
        results.extend(service.prepare(batch))
        print(f"prepared {len(results)}/{len(targets)} pairs", file=sys.stderr, flush=True)
    return results
