"""
What the CLI prints: ``rich`` tables for people, JSON documents for programs.

The JSON documents are a stable interface (``schema_version`` 1); fields are only ever added.
Every document has ``schema_version``, ``command``, ``account_type``, ``account_margin_mode``,
``endpoint``, ``notes`` and ``pairs`` (one object per pair, in whitelist order):

- ``plan`` pairs: ``pair``, ``mechanism``, ``current_margin_mode``, ``current_leverage``,
  ``target_margin_mode``, ``target_leverage``, ``action`` (none / switch / blocked),
  ``reason``, ``open_position``, ``open_orders``; plus ``summary`` {action: count}.
- ``apply`` pairs: ``pair``, ``mechanism``, ``margin_mode``, ``leverage`` (the target),
  ``outcome`` (changed / unchanged / skipped / failed), ``confirmed``, ``reason``, ``error``,
  ``retryable``, ``requests``; plus ``summary`` {outcome: count} and ``ok`` (every pair
  confirmed). ``account_margin_mode`` is as read before applying.
- ``status`` pairs: ``pair``, ``mechanism``, ``margin_mode``, ``leverage``, ``open_position``,
  ``position_side``, ``position_size``, ``open_orders``; plus ``busy_symbols``.

Unknown modes and leverages are ``null``. No credential ever appears in a document.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from freqtrade_bybit_margin.model import AccountType, Outcome, PairResult
from freqtrade_bybit_margin.service.margin_service import AccountStatus, Action, PairPlan
from freqtrade_bybit_margin.service.reader import PairState


SCHEMA_VERSION = 1

#: Width used when stdout is not a terminal, so piped output and README pastes do not wrap.
PIPE_WIDTH = 140

_ACTION_STYLE = {Action.NONE: "green", Action.SWITCH: "yellow", Action.BLOCKED: "red"}
_OUTCOME_STYLE = {
    Outcome.CHANGED: "green",
    Outcome.UNCHANGED: "green",
    Outcome.SKIPPED: "yellow",
    Outcome.FAILED: "red",
}


@dataclass(frozen=True)
class Header:
    """What every command reports above its table (and in its JSON document)."""

    command: str
    account_type: AccountType
    account_margin_mode: str | None
    endpoint: str
    notes: Sequence[str] = ()


def make_console(file: IO[str]) -> Console:
    """A console on ``file``; fixed width and no colour when it is not a terminal."""
    if file.isatty():
        return Console(file=file, highlight=False)
    return Console(file=file, width=PIPE_WIDTH, highlight=False, no_color=True)


def fmt_leverage(value: float | None) -> str:
    """``10.0 -> "10x"``, ``2.5 -> "2.5x"``, None -> ``"?"``."""
    return "?" if value is None else f"{value:g}x"


def _mode(value: object) -> str:
    return "?" if value is None else str(value)


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(
        title=title, box=box.SIMPLE_HEAVY, title_justify="left", pad_edge=False, show_edge=False
    )
    for column in columns:
        table.add_column(column, no_wrap=column in ("Pair", "Mechanism"))
    return table


def emit(console: Console, *renderables: Any) -> None:
    """Print; off a terminal, without the trailing blanks rich pads lines with."""
    if console.is_terminal:
        console.print(*renderables)
        return
    with console.capture() as capture:
        console.print(*renderables)
    lines = capture.get().splitlines()
    console.file.write("".join(line.rstrip() + "\n" for line in lines))


def print_header(console: Console, header: Header) -> None:
    mode = (
        f", account margin mode {header.account_margin_mode}" if header.account_margin_mode else ""
    )
    lines = [f"Account: {header.account_type.label}{mode} ({escape(header.endpoint)})"]
    lines += [f"Note: {escape(note)}" for note in header.notes]
    for line in lines:
        console.print(line, soft_wrap=True)


# --- plan --------------------------------------------------------------------------------------


def plan_table(plans: Sequence[PairPlan], title: str = "Plan (read-only)") -> Table:
    table = _table(
        title,
        [
            "Pair",
            "Current mode",
            "Current lev.",
            "Target mode",
            "Target lev.",
            "Mechanism",
            "Action",
        ],
    )
    for plan in plans:
        action = plan.action.value + (f": {plan.reason}" if plan.reason else "")
        table.add_row(
            plan.target.pair,
            _mode(plan.state.margin_mode),
            fmt_leverage(plan.state.leverage),
            plan.target.margin_mode.value,
            fmt_leverage(plan.target.leverage),
            plan.mechanism.value,
            f"[{_ACTION_STYLE[plan.action]}]{escape(action)}[/]",
        )
    return table


def plan_summary(plans: Sequence[PairPlan]) -> str:
    counts = Counter(plan.action for plan in plans)
    return (
        f"{len(plans)} pairs: {counts[Action.NONE]} already at target, "
        f"{counts[Action.SWITCH]} to switch, {counts[Action.BLOCKED]} blocked."
    )


def plan_document(header: Header, plans: Sequence[PairPlan]) -> dict[str, Any]:
    counts = Counter(plan.action.value for plan in plans)
    return {
        **_head(header),
        "pairs": [
            {
                "pair": plan.target.pair,
                "mechanism": plan.mechanism.value,
                "current_margin_mode": _value(plan.state.margin_mode),
                "current_leverage": plan.state.leverage,
                "target_margin_mode": plan.target.margin_mode.value,
                "target_leverage": plan.target.leverage,
                "action": plan.action.value,
                "reason": plan.reason,
                "open_position": plan.state.position_size > 0,
                "open_orders": plan.state.open_orders,
            }
            for plan in plans
        ],
        "summary": {action.value: counts.get(action.value, 0) for action in Action},
    }


# --- apply -------------------------------------------------------------------------------------


def result_table(results: Sequence[PairResult]) -> Table:
    table = _table("Result", ["Pair", "Mechanism", "Mode", "Leverage", "Outcome", "Reason"])
    for result in results:
        outcome = result.outcome.value if result.confirmed else f"{result.outcome.value} (NOT ok)"
        table.add_row(
            result.pair,
            result.mechanism.value,
            result.target.margin_mode.value,
            fmt_leverage(result.target.leverage),
            f"[{_OUTCOME_STYLE[result.outcome]}]{outcome}[/]",
            escape(result.reason),
        )
    return table


def result_summary(results: Sequence[PairResult]) -> str:
    confirmed = sum(1 for result in results if result.confirmed)
    counts = Counter(result.outcome for result in results)
    parts = ", ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o])
    return f"{confirmed}/{len(results)} pairs confirmed ({parts})."


def apply_document(header: Header, results: Sequence[PairResult]) -> dict[str, Any]:
    counts = Counter(result.outcome.value for result in results)
    return {
        **_head(header),
        "pairs": [
            {
                "pair": result.pair,
                "mechanism": result.mechanism.value,
                "margin_mode": result.target.margin_mode.value,
                "leverage": result.target.leverage,
                "outcome": result.outcome.value,
                "confirmed": result.confirmed,
                "reason": result.reason,
                "error": result.error,
                "retryable": result.retryable,
                "requests": result.requests,
            }
            for result in results
        ],
        "summary": {outcome.value: counts.get(outcome.value, 0) for outcome in Outcome},
        "ok": all(result.confirmed for result in results),
    }


# --- status ------------------------------------------------------------------------------------


def status_table(status: AccountStatus, mechanisms: Sequence[str]) -> Table:
    table = _table("Status", ["Pair", "Mechanism", "Mode", "Leverage", "Position", "Open orders"])
    for state, mechanism in zip(status.pairs, mechanisms, strict=True):
        table.add_row(
            state.pair,
            mechanism,
            _mode(state.margin_mode),
            fmt_leverage(state.leverage),
            _position(state),
            str(state.open_orders),
        )
    return table


def status_document(
    header: Header, status: AccountStatus, mechanisms: Sequence[str]
) -> dict[str, Any]:
    return {
        **_head(header),
        "pairs": [
            {
                "pair": state.pair,
                "mechanism": mechanism,
                "margin_mode": _value(state.margin_mode),
                "leverage": state.leverage,
                "open_position": state.position_size > 0,
                "position_side": state.position_side or None,
                "position_size": state.position_size,
                "open_orders": state.open_orders,
            }
            for state, mechanism in zip(status.pairs, mechanisms, strict=True)
        ],
        "busy_symbols": list(status.busy_symbols),
    }


# --- helpers -----------------------------------------------------------------------------------


def _position(state: PairState) -> str:
    if state.position_size > 0:
        return f"{state.position_side} {state.position_size:g}"
    return "-"


def _value(value: object) -> str | None:
    return None if value is None else str(value)


def _head(header: Header) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": header.command,
        "account_type": header.account_type.value,
        "account_margin_mode": header.account_margin_mode,
        "endpoint": header.endpoint,
        "notes": list(header.notes),
    }


def dump_json(document: dict[str, Any], file: IO[str]) -> None:
    """One JSON document, indented, followed by a newline."""
    file.write(json.dumps(document, indent=2) + "\n")
