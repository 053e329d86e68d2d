"""
What the CLI prints for people: ``rich`` tables that fit 80 columns (cells wrap, never
``isolat…``), the account-wide step as its own line, and summaries.

Rows come from the shared pair-table row builder (:mod:`freqtrade_bybit_margin.report`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from freqtrade_bybit_margin.cli.documents import Header
from freqtrade_bybit_margin.cli.pairs import plural
from freqtrade_bybit_margin.console import emit, table_of
from freqtrade_bybit_margin.model import Mechanism, Outcome, PairResult
from freqtrade_bybit_margin.report import fmt_leverage, plan_row, result_row
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    Action,
    PairPlan,
    Plan,
)
from freqtrade_bybit_margin.service.reader import PairState


__all__ = [
    "account_mode_line",
    "plan_summary",
    "plan_table",
    "print_header",
    "result_summary",
    "result_table",
    "status_footer",
    "status_table",
]


_ACTION_STYLE = {
    Action.NONE: "green",
    Action.SWITCH: "yellow",
    Action.BLOCKED: "red",
    Action.UNKNOWN: "red",
}
_OUTCOME_STYLE = {
    Outcome.CHANGED: "green",
    Outcome.UNCHANGED: "green",
    Outcome.SKIPPED: "yellow",
    Outcome.FAILED: "red",
}


def print_header(console: Console, header: Header) -> None:
    """
    ``Account: UTA2.0, account margin mode ... (endpoint)``, then one ``Note:`` line each.

    :param console: where to print
    :param header: what to say
    """
    mode = (
        f", account margin mode {header.account_margin_mode}" if header.account_margin_mode else ""
    )
    lines = [f"Account: {header.account_type.label}{mode} ({escape(header.endpoint)})"]
    lines += [f"Note: {escape(note)}" for note in header.notes]
    emit(console, *lines, soft_wrap=True)


def account_mode_line(step: AccountModePlan | None) -> str | None:
    """
    The account-wide margin-mode step as one line, or None when there is none.

    :param step: the plan's account-wide step
    :return: ``Account-wide: Bybit account margin mode REGULAR_MARGIN -> ISOLATED_MARGIN: ...``
    """
    if step is None:
        return None
    if step.action is Action.NONE:
        return f"Account-wide: Bybit account margin mode {step.current}: at target."
    if step.action is Action.SWITCH:
        return f"Account-wide: {step.announcement}."
    return f"Account-wide: {step.announcement}; {step.action.value}: {step.reason}."


# --- plan --------------------------------------------------------------------------------------


def _now(plan: PairPlan, account_current: str | None) -> str:
    """Current mode and leverage of a pair; an account-mode pair's mode is the account's."""
    state = plan.state
    if state is None:
        return "? (not read)"
    mode = state.margin_mode.value if state.margin_mode is not None else None
    if mode is None and plan.mechanism is Mechanism.ACCOUNT_MODE and account_current:
        mode = account_current.removesuffix("_MARGIN").lower()
    if state.leverage is None and mode == "portfolio":
        return mode  # Bybit reports no leverage under portfolio margin (leverage "")
    return f"{mode or '?'} {fmt_leverage(state.leverage)}"


def plan_table(plan: Plan, title: str = "Plan (read-only)") -> Table:
    """
    Pair / mechanism / now / target / action.

    :param plan: the service's plan
    :param title: shown above the table
    :return: the table
    """
    current = plan.account_mode.current if plan.account_mode else None
    rows = []
    for pair in plan.pairs:
        action = pair.action.value + (f": {pair.reason}" if pair.reason else "")
        name, mechanism, mode, leverage, note = plan_row(pair.target, pair.mechanism.value, action)
        style = _ACTION_STYLE[pair.action]
        rows.append(
            (name, mechanism, _now(pair, current), f"{mode} {leverage}", _styled(style, note))
        )
    return table_of(title, ["Pair", "Mechanism", "Now", "Target", "Action"], rows, wrap=(2, 3, 4))


def _styled(style: str, text: str) -> str:
    return f"[{style}]{escape(text)}[/]"


def plan_summary(plan: Plan) -> str:
    """
    ``4 pairs: 1 already at target, 2 to switch, 1 blocked.``

    :param plan: the service's plan
    :return: one line
    """
    counts = Counter(pair.action for pair in plan.pairs)
    parts = [
        f"{counts[Action.NONE]} already at target",
        f"{counts[Action.SWITCH]} to switch",
        f"{counts[Action.BLOCKED]} blocked",
    ]
    if counts[Action.UNKNOWN]:
        parts.append(f"{counts[Action.UNKNOWN]} not read")
    return f"{plural(len(plan.pairs), 'pair')}: {', '.join(parts)}."


# --- apply -------------------------------------------------------------------------------------


def result_table(results: Sequence[PairResult]) -> Table:
    """
    Pair / mechanism / mode / leverage / result (outcome and reason).

    :param results: one per pair
    :return: the table
    """
    rows = []
    for result in results:
        *cells, outcome = result_row(result)
        if not result.confirmed:
            outcome = outcome.replace(result.outcome.value, f"{result.outcome.value} (NOT ok)", 1)
        rows.append((*map(escape, cells), _styled(_OUTCOME_STYLE[result.outcome], outcome)))
    return table_of("Result", ["Pair", "Mechanism", "Mode", "Leverage", "Result"], rows)


def result_summary(results: Sequence[PairResult]) -> str:
    """
    ``3/4 pairs confirmed (2 changed, 1 unchanged, 1 skipped).``

    :param results: one per pair
    :return: one line
    """
    confirmed = sum(1 for result in results if result.confirmed)
    counts = Counter(result.outcome for result in results)
    parts = ", ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o])
    noun = "pair" if len(results) == 1 else "pairs"
    return f"{confirmed}/{len(results)} {noun} confirmed ({parts})."


# --- status ------------------------------------------------------------------------------------


def status_table(status: AccountStatus, mechanisms: Sequence[str]) -> Table:
    """
    Pair / mechanism / mode / leverage / position / open orders.

    :param status: the service's status
    :param mechanisms: per pair of ``status.pairs``
    :return: the table
    """
    rows = [
        (
            state.pair,
            mechanism,
            "?" if state.margin_mode is None else state.margin_mode.value,
            fmt_leverage(state.leverage),
            _position(state),
            str(state.open_orders),
        )
        for state, mechanism in zip(status.pairs, mechanisms, strict=True)
    ]
    header = ["Pair", "Mechanism", "Mode", "Leverage", "Position", "Orders"]
    return table_of("Status", header, rows, wrap=(4,))


def _position(state: PairState) -> str:
    if state.position_size > 0:
        return f"{state.position_side} {state.position_size:g}"
    return "-"


def status_footer(status: AccountStatus) -> str | None:
    """
    ``Open positions or orders on: ETH/USDT:USDT, SOL/USDT:USDT`` (pair names), or None.

    :param status: the service's status
    :return: one line, or None when nothing is open
    """
    if not status.busy_pairs:
        return None
    return f"Open positions or orders on: {', '.join(status.busy_pairs)}"
