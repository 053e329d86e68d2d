"""
The commands ``plan``, ``apply`` and ``status``: the context they share (built from the same
freqtrade config the bot reads, before the first private request) and what each one does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from rich.markup import escape

from freqtrade_bybit_margin.cli.documents import (
    Header,
    apply_document,
    dump_json,
    plan_document,
    status_document,
)
from freqtrade_bybit_margin.cli.exchange import build_exchange, endpoint_label
from freqtrade_bybit_margin.cli.failures import (
    EXIT_CONFIG,
    EXIT_EXCHANGE,
    EXIT_NOT_CONFIRMED,
    EXIT_OK,
    KEYS_REFUSED,
    CliError,
)
from freqtrade_bybit_margin.cli.freqtrade_config import (
    check_credentials,
    config_files,
    load_config,
    strategy_defaults,
)
from freqtrade_bybit_margin.cli.output import (
    account_mode_line,
    plan_summary,
    plan_table,
    print_header,
    result_summary,
    result_table,
    status_footer,
    status_table,
)
from freqtrade_bybit_margin.cli.pairlist import is_dynamic, resolve_whitelist
from freqtrade_bybit_margin.cli.pairs import PairSelection, plural, select_pairs
from freqtrade_bybit_margin.cli.progress import progress_reporter
from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.config import (
    SECTION,
    Enablement,
    MarginSettings,
    OverMax,
    check_leverage_limits,
    check_pair_keys,
    check_static,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.console import emit, make_console
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import Mechanism, Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.redact import register, scrub
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.service.over_max import statically_checked
from freqtrade_bybit_margin.service.planning import Action, Plan


__all__ = ["Command", "Context", "apply", "build_context", "plan", "status"]

ENABLE_HOWTO = f'add "{SECTION}": {{"leverage": 3}} (or your values) to the config'


@dataclass(frozen=True)
class Context:
    """Everything a command needs, built from the config before the first private request.

    :param notes: what the user should know, printed above the table and listed in ``--json``
    """

    args: argparse.Namespace
    settings: MarginSettings
    service: MarginService
    selection: PairSelection
    endpoint: str
    notes: tuple[str, ...]

    @property
    def targets(self) -> list[PairTarget]:
        """The target of every selected pair."""
        return [self.settings.target_for(pair) for pair in self.selection.pairs]

    def header(self, command: str, account_margin_mode: str | None) -> Header:
        """
        What the command reports above its table.

        :param command: the command's name
        :param account_margin_mode: as read from Bybit (unified accounts)
        :return: the header
        """
        return Header(
            command, self.service.account_type, account_margin_mode, self.endpoint, self.notes
        )


Command = Callable[[Context], int]


def build_context(args: argparse.Namespace, secrets: list[str]) -> Context:
    """
    Read the config, check it, load Bybit's markets and choose the pairs.

    Every static check (the same the strategy runs when freqtrade builds it) comes before the
    first request; a dynamic pairlist is resolved from public market data only.

    :param args: the parsed command line (``command``, ``config``, ``userdir``, ``pairs``,
        ``any_pair``)
    :param secrets: filled with the config's credential values as soon as they are known
    :return: the context
    :raise ConfigError: anything wrong with the config or the arguments
    :raise ccxt.BaseError: Bybit could not be reached for its markets
    """
    loaded = load_config(config_files(args.config, args.userdir))
    secrets.extend(loaded.secrets)
    register(*loaded.secrets)  # masked in everything printed from now on
    config = loaded.config
    defaults, note = strategy_defaults(config, args.userdir)
    notes = [note] if note else []
    check_static(config, defaults)
    notes += _enablement_notes(enablement(config, defaults), args.command)
    settings = load_settings(config, defaults)
    check_credentials(config)
    resolved = resolve_whitelist(config) if is_dynamic(config) else None
    exchange = build_exchange(config)
    endpoint = endpoint_label(config, exchange)
    exchange.load_markets()
    selection = select_pairs(
        config, exchange.markets, args.pairs, any_pair=args.any_pair, resolved=resolved
    )
    notes += selection.notes
    if args.command == "apply" and config.get("dry_run", True):
        notes.append(
            "dry_run is true in the config: the bot itself will not touch margin settings, "
            "but apply changes the live account these keys belong to."
        )
    clamp = settings.over_max is OverMax.CLAMP  # above a market's maximum: set to it instead
    targets = map(settings.target_for, selection.pairs)
    checked = statically_checked(targets, exchange.markets, clamp=clamp)
    check_leverage_limits(settings, checked, exchange.markets)
    notes += check_pair_keys(settings, selection.whitelist, exchange.markets)
    service = MarginService(exchange, tap=HeaderTap.on(exchange), clamp_over_max=clamp)
    notes += _key_notes(service, args.command)
    return Context(args, settings, service, selection, endpoint, tuple(notes))


def _key_notes(service: MarginService, command: str) -> list[str]:
    """
    The key preflight, from the answer ccxt's account probe received (no request of its own):
    ``apply`` stops before any write with a key that cannot write; ``plan`` and ``status``
    (read-only) say it, and a key that expires within a week.

    :raise CliError: ``apply`` with a read-only key or one without ContractTrade Order +
        Position (exit 3)
    :raise ccxt.BaseError: the probe failed (a refused key: exit 3, as before)
    """
    _ = service.account_type  # ccxt's probe first: it keeps the key's description
    report = service.check_key()
    notes = [f"{report.expiry}."] if report.expiry else []
    if not report.blocks:
        return notes
    if command == "apply":
        message = f"Bybit margin: {report.problem}. Nothing was changed."
        raise CliError(EXIT_EXCHANGE, "authentication", message)
    return [f"{report.problem}: apply would stop before any change.", *notes]


def _enablement_notes(state: Enablement, command: str) -> list[str]:
    """What the user should know when the config does not enable the plugin; ``apply`` refuses,
    since nothing may change on the account unless the config asks for it."""
    if state is Enablement.ENABLED:
        return []
    if state is Enablement.DISABLED:
        why = f"{SECTION}.enabled is false: the strategy mixin is inert on purpose"
        fix = f"set {SECTION}.enabled to true"
    else:
        why = (
            f"{SECTION}: no section in the config and no attribute on the strategy: the "
            "strategy mixin is inert (it changes nothing and refuses nothing)"
        )
        fix = ENABLE_HOWTO
    if command == "apply":
        raise ConfigError(f"{why}; apply changes only what the config asks for: {fix}.")
    if command == "plan":
        return [f"{why}; planned with the defaults it would use once enabled ({fix})."]
    return [f"{why} ({fix})."]


# --- commands ----------------------------------------------------------------------------------


def plan(ctx: Context) -> int:
    """
    ``plan``: what ``apply`` would do, read-only.

    :param ctx: the command's context
    :return: the exit code
    """
    with progress_reporter(sys.stderr, len(ctx.targets), "reading") as progress:
        planned = ctx.service.plan(ctx.targets, progress)
    header = ctx.header("plan", planned.status.account_margin_mode)
    if ctx.args.json:
        dump_json(plan_document(header, planned), sys.stdout)
        return EXIT_OK
    _print_plan(header, planned, "Plan (read-only)")
    return EXIT_OK


def _print_plan(header: Header, planned: Plan, title: str, *, only_changes: bool = False) -> None:
    """The header, the account-wide step, the plan's table and notes, its summary; with
    ``only_changes`` the pairs already at their target are counted, not listed."""
    console = make_console(sys.stdout)
    print_header(console, header)
    step = account_mode_line(planned.account_mode)
    if step:
        emit(console, escape(step), soft_wrap=True)
    at_target = sum(1 for pair in planned.pairs if pair.action is Action.NONE)
    if only_changes and at_target == len(planned.pairs):
        emit(console, f"{title}: every pair is at its target margin mode and leverage.")
    else:
        table, notes = plan_table(planned, title, only_changes=only_changes)
        emit(console, table, *notes)
    if only_changes and 0 < at_target < len(planned.pairs):
        emit(console, f"Not listed: {plural(at_target, 'pair')} already at target.")
    emit(console, plan_summary(planned))


def status(ctx: Context) -> int:
    """
    ``status``: the account and each pair as Bybit reports them, read-only.

    :param ctx: the command's context
    :return: the exit code
    """
    pairs = ctx.selection.pairs
    with progress_reporter(sys.stderr, len(pairs), "reading") as progress:
        current = ctx.service.status(ctx.targets, progress)
    mechanisms = [ctx.service.mechanism_for(pair).value for pair in pairs]
    header = ctx.header("status", current.account_margin_mode)
    if ctx.args.json:
        dump_json(status_document(header, current, mechanisms), sys.stdout)
        return EXIT_OK
    console = make_console(sys.stdout)
    print_header(console, header)
    footer = status_footer(current)
    emit(console, status_table(current, mechanisms), *([footer] if footer else []))
    return EXIT_OK


def apply(ctx: Context) -> int:
    """
    ``apply``: plan, ask (unless ``--yes``), prepare the pairs in one pass reusing the plan's
    reads, report what changed.

    :param ctx: the command's context
    :return: the exit code
    """
    targets = ctx.targets
    with progress_reporter(sys.stderr, len(targets), "reading") as progress:
        planned = ctx.service.plan(targets, progress)
    header = ctx.header("apply", planned.status.account_margin_mode)
    if not ctx.args.json:
        _print_plan(header, planned, "Plan", only_changes=True)
        emit(make_console(sys.stdout), "")
    account = planned.account_mode
    if all(p.action is Action.NONE for p in planned.pairs) and (
        account is None or account.action is Action.NONE
    ):
        results = [_nothing_to_do(p.target, p.mechanism) for p in planned.pairs]
    else:
        if planned.changes or (account is not None and account.action is Action.SWITCH):
            _confirm(planned, ctx.args.yes)
        with progress_reporter(sys.stderr, len(targets), "preparing") as progress:
            results = ctx.service.prepare(targets, progress, plan=planned)
    if ctx.args.json:
        dump_json(apply_document(header, results, account), sys.stdout)
    else:
        console = make_console(sys.stdout)
        shown = result_table(results, planned)
        if shown is not None:
            emit(console, shown[0], *shown[1])
        emit(console, *clamp_lines(results), result_summary(results))
    return _apply_exit_code(results)


def clamp_lines(results: list[PairResult]) -> list[str]:
    """``over_max: clamp``: one line per pair set to Bybit's lower maximum that the result table
    leaves out (Bybit already held the maximum); the table's notes say the others."""
    return [
        escape(f"{r.pair}: {r.reason}; already at {fmt_leverage(r.target.leverage)} on Bybit.")
        for r in results
        if r.clamped_from is not None and r.confirmed and r.outcome is Outcome.UNCHANGED
    ]


def _apply_exit_code(results: list[PairResult]) -> int:
    """0 when every pair is confirmed; 3 (and one line on stderr) when Bybit refused the key
    itself (10003 / 10004 / 10005: no pair can be fixed by trying again); else 1."""
    refused = [r.failure for r in results if r.failure is not None and r.failure.kind.key_refused]
    if refused:
        line = f"Bybit refused the API key: {refused[0].reason}. {KEYS_REFUSED}"
        print(scrub(line), file=sys.stderr)
        return EXIT_EXCHANGE
    return EXIT_OK if all(result.confirmed for result in results) else EXIT_NOT_CONFIRMED


def _nothing_to_do(target: PairTarget, mechanism: Mechanism) -> PairResult:
    return PairResult(
        target=target,
        mechanism=mechanism,
        outcome=Outcome.UNCHANGED,
        confirmed=True,
        reason="already at target; nothing sent",
    )


def _confirm(planned: Plan, yes: bool) -> None:
    """
    Ask on the terminal; an account-wide change must be confirmed by typing its target mode.

    :raise CliError: no terminal to ask on (exit 2), or the answer was not yes (exit 1)
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(
            EXIT_CONFIG,
            "usage",
            "apply changes margin mode and leverage on your Bybit account and there is no "
            "terminal to ask for confirmation; run it again with --yes. Nothing was changed.",
        )
    pairs = f"{planned.changes} of {plural(len(planned.pairs), 'pair')}"
    step = planned.account_mode
    if step is not None and step.action is Action.SWITCH:
        name = step.target.value
        question = (
            f"{step.announcement}.\nThen margin mode and leverage of {pairs}.\n"
            f"Type {name} to apply both, anything else to stop: "
        )
        accepted = {name.lower()}
    else:
        question = f"Apply margin mode and leverage to {pairs} on Bybit? [y/N] "
        accepted = {"y", "yes"}
    sys.stderr.write(question)
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in accepted:
        raise CliError(EXIT_NOT_CONFIRMED, "declined", "Aborted; nothing was changed.")
