"""
What the CLI prints for people: ``rich`` tables that stay one line per pair at 100+ pairs
(short cells; reasons as numbered notes under the table, one per distinct reason; a column that
is the same on every row moves into the title), the account-wide step as its own line, and
summaries. ``apply`` lists only the pairs it changes or cannot change.

The current state and the target are always separate columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from freqtrade_bybit_margin.cli.documents import Header
from freqtrade_bybit_margin.cli.pairs import plural
from freqtrade_bybit_margin.console import emit, table_of
from freqtrade_bybit_margin.model import Mechanism, Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.report import fmt_leverage, mode_cell
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    Action,
    PairPlan,
    Plan,
)
from freqtrade_bybit_margin.service.reader import PairState


__all__ = [
    "Notes",
    "account_mode_line",
    "current_of",
    "plan_summary",
    "plan_table",
    "print_header",
    "result_summary",
    "result_table",
    "status_footer",
    "status_table",
]

#: What hedge mode means for the bot, under the status table.
HEDGE_NOTE = (
    "freqtrade's orders are one-way (Bybit refuses them there with 10001): apply and the bot "
    "switch a flat pair to one-way; a pair with a position or order is refused until then."
)

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


@dataclass
class Notes:
    """Numbered notes under a table: one number per distinct text, in order of first use."""

    texts: list[str] = field(default_factory=list)

    def mark(self, text: str) -> str:
        """`` [n]`` for ``text`` (a new number the first time), or ``""`` for no text."""
        if not text:
            return ""
        if text not in self.texts:
            self.texts.append(text)
        return f" [{self.texts.index(text) + 1}]"

    def lines(self) -> list[str]:
        """``[1] text`` lines, as rich markup."""
        return [escape(f"[{number}] {text}") for number, text in enumerate(self.texts, 1)]


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


def current_of(plan: PairPlan, account_current: str | None) -> str:
    """Current mode and leverage of a pair; an account-mode pair's mode is the account's."""
    state = plan.state
    if state is None:
        return "? (not read)"
    mode = state.margin_mode.value if state.margin_mode is not None else None
    if mode is None and plan.mechanism is Mechanism.ACCOUNT_MODE and account_current:
        mode = account_current.removesuffix("_MARGIN").lower()
    if state.leverage is None and mode == "portfolio":
        return mode  # Bybit reports no leverage under portfolio margin (leverage "")
    return mode_cell(f"{mode or '?'} {fmt_leverage(state.leverage)}", state.hedge)


def _target(target: PairTarget) -> str:
    return f"{target.margin_mode.value} {fmt_leverage(target.leverage)}"


def _titled(title: str, mechanisms: Iterable[Mechanism]) -> tuple[str, bool]:
    """The title, with the mechanism when every row has the same; True if it needs a column."""
    unique = set(mechanisms)
    if len(unique) == 1:
        return f"{title}: {next(iter(unique)).value}", False
    return title, bool(unique)


# --- plan --------------------------------------------------------------------------------------


def plan_table(
    plan: Plan, title: str = "Plan (read-only)", *, only_changes: bool = False
) -> tuple[Table, list[str]]:
    """
    Pair / [mechanism] / now / target / action, and the numbered notes of the actions' reasons.

    :param plan: the service's plan
    :param title: shown above the table
    :param only_changes: leave out the pairs already at their target (``apply``)
    :return: the table and the notes under it
    """
    current = plan.account_mode.current if plan.account_mode else None
    shown = [p for p in plan.pairs if not (only_changes and p.action is Action.NONE)]
    title, with_mechanism = _titled(title, (p.mechanism for p in shown))
    notes = Notes()
    rows = []
    for pair in shown:
        action = pair.action.value + notes.mark(pair.reason)
        cells = [escape(pair.target.pair), current_of(pair, current), _target(pair.target)]
        if with_mechanism:
            cells.insert(1, pair.mechanism.value)
        rows.append([*cells, _styled(_ACTION_STYLE[pair.action], action)])
    header = ["Pair", *(["Mechanism"] if with_mechanism else []), "Now", "Target", "Action"]
    wrap = (-3, -2)  # "portfolio 10x" may break between its words when the table is wide
    return table_of(title, header, rows, wrap=wrap), notes.lines()


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


def result_table(
    results: Sequence[PairResult], before: Plan | None = None
) -> tuple[Table, list[str]] | None:
    """
    Pair / was / target / result for every pair that is not simply unchanged, and the numbered
    notes of the reasons; None when every pair was unchanged.

    :param results: one per pair
    :param before: the plan made before applying (the "was" column)
    :return: the table and the notes under it, or None
    """
    plans = {p.target.pair: p for p in before.pairs} if before else {}
    current = before.account_mode.current if before and before.account_mode else None
    shown = [r for r in results if not (r.outcome is Outcome.UNCHANGED and r.confirmed)]
    if not shown:
        return None
    notes = Notes()
    rows = []
    for result in shown:
        plan = plans.get(result.pair)
        outcome = result.outcome.value + ("" if result.confirmed else " (NOT ok)")
        outcome += notes.mark(result.reason)
        rows.append(
            [
                escape(result.pair),
                current_of(plan, current) if plan else "?",
                _target(result.target),
                _styled(_OUTCOME_STYLE[result.outcome], outcome),
            ]
        )
    title, _ = _titled("Result", (r.mechanism for r in shown))
    return table_of(title, ["Pair", "Was", "Target", "Result"], rows, wrap=(1, 2)), notes.lines()


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
    Pair / [mechanism] / mode / leverage / position / open orders.

    :param status: the service's status
    :param mechanisms: per pair of ``status.pairs``
    :return: the table
    """
    title, with_mechanism = _titled("Status", (Mechanism(m) for m in mechanisms))
    rows = []
    for state, mechanism in zip(status.pairs, mechanisms, strict=True):
        mode = mode_cell("?" if state.margin_mode is None else state.margin_mode.value, state.hedge)
        cells = [escape(state.pair), mode, fmt_leverage(state.leverage), _position(state)]
        if with_mechanism:
            cells.insert(1, mechanism)
        rows.append([*cells, str(state.open_orders)])
    header = ["Pair", "Mode", "Leverage", "Position", "Orders"]
    if with_mechanism:
        header.insert(1, "Mechanism")
    return table_of(title, header, rows)


def _position(state: PairState) -> str:
    if state.position_size > 0:
        return f"{state.position_side} {state.position_size:g}"
    return "-"


def status_footer(status: AccountStatus) -> str | None:
    """
    ``Open positions or orders on: ETH/USDT:USDT, SOL/USDT:USDT`` (pair names), and the pairs
    in hedge mode (a line each), or None.

    :param status: the service's status
    :return: the lines, or None when nothing is open or hedged
    """
    lines = []
    if status.busy_pairs:
        lines.append(f"Open positions or orders on: {', '.join(status.busy_pairs)}")
    hedged = [state.pair for state in status.pairs if state.hedge]
    if hedged:
        lines.append(f"Hedge mode on: {', '.join(hedged)}. {HEDGE_NOTE}")
    return "\n".join(lines) or None
