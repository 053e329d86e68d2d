"""
What the demo prints: the per-pair timeline (rows from the shared pair-table row builder), the
request counts, how freqtrade stopped, and the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from freqtrade_bybit_margin.console import emit, table_of
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.bot_runner import MARGIN_WRITES, BotRun, plugin_writes
from freqtrade_bybit_margin.demo.timeline import PairTimeline
from freqtrade_bybit_margin.demo.verdict import Verdict
from freqtrade_bybit_margin.report import HEADER, result_row


__all__ = ["print_report", "timeline_table"]

MARGIN_PATHS = (*MARGIN_WRITES, Endpoint.SET_MARGIN_MODE)
TIMES = ("prepared", "1st order", "position", "ok")


def timeline_table(rows: Sequence[PairTimeline], account: str) -> Table:
    """
    The timeline as a table that fits 80 columns: a column that is the same on every row
    (mechanism, mode: one per account and config in the demo) moves into the title.

    :param rows: the timeline
    :param account: the simulated account type, for the title
    :return: the table
    """
    cells = [(*result_row(row.as_result()), *_times(row)) for row in rows]
    header = (*HEADER, *TIMES)
    uniform = [index for index in (1, 2) if len({line[index] for line in cells}) == 1]
    title = ", ".join([f"{account} account", *(f"{cells[0][i]}" for i in uniform)])
    keep = [i for i in range(len(header)) if i not in uniform]
    return table_of(
        f"Timeline: {escape(title)}",
        [header[i] for i in keep],
        [[escape(line[i]) for i in keep] for line in cells],
        wrap=(keep.index(HEADER.index("result")),),
    )


def _times(row: PairTimeline) -> tuple[str, str, str, str]:
    return (
        _seconds(row.prepared_ms),
        _seconds(row.first_order_ms),
        row.position,
        "yes" if row.prepared_before_order else "NO",
    )


def _seconds(ms: int | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.2f}s"


def print_report(
    console: Console, run: BotRun, rows: Sequence[PairTimeline], account: str, verdict: Verdict
) -> None:
    """
    Print the timeline, what was sent, how freqtrade stopped and the verdict.

    :param console: where to print
    :param run: the bot run
    :param rows: its timeline
    :param account: the simulated account type
    :param verdict: the run's verdict
    """
    emit(console, timeline_table(rows, account))
    secret = "YES" if verdict.secret_leaked else "no"
    lines = [
        *_request_lines(run, rows),
        f"freqtrade {_exit_text(run)}; secret in log: {secret}",
    ]
    traded = sum(1 for row in rows if row.traded)
    held = sum(1 for row in rows if row.position != "-")
    if verdict.ok:
        lines.append(
            f"OK: {traded} traded pair(s), {held} holding a position, every one prepared before "
            "its first order."
        )
    else:
        lines += ["FAILED:", *(f"  - {problem}" for problem in verdict.problems)]
    for line in lines:
        console.print(escape(line), soft_wrap=True)


def _request_lines(run: BotRun, rows: Sequence[PairTimeline]) -> list[str]:
    """The account-wide step, if the plugin made one, and the request counts."""
    lines = []
    plugin = {e.seq for row in rows for e in plugin_writes(run, row.pair.symbol)}
    # freqtrade's own account-wide call carries a stray "leverage"; the plugin's does not.
    account_sets = [
        e for e in run.requests(Endpoint.SET_MARGIN_MODE) if "leverage" not in (e.body or {})
    ]
    plugin |= {e.seq for e in account_sets}
    if account_sets:
        first_ms = run.journal[0].time_ms
        steps = ", ".join(
            f"{e.body.get('setMarginMode')} -> retCode {e.ret_code} at "
            f"{(e.time_ms - first_ms) / 1000:.2f}s"
            for e in account_sets
        )
        lines.append(f"account margin mode set by the plugin: {steps}")
    signed = [e for e in run.journal if e.signed]
    bad = sum(1 for e in signed if e.signature_ok is False)
    later = [e for e in run.journal if e.path in MARGIN_PATHS and e.seq not in plugin]
    codes = ", ".join(sorted({str(e.ret_code) for e in later})) or "-"
    lines.append(
        f"requests: {len(run.journal)} ({len(signed)} signed, {bad} bad signatures), orders "
        f"{len(run.requests(Endpoint.ORDER_CREATE))}; the plugin's margin writes {len(plugin)}; "
        f"freqtrade's own per-order margin calls {len(later)} (retCodes {codes})"
    )
    return lines


def _exit_text(run: BotRun) -> str:
    # Whether the runner stopped it, not its exit code: freqtrade 2026.x exits 130 on SIGINT,
    # 2025.10 exits 0.
    if run.stopped:
        return "stopped by the demo (SIGINT)"
    return f"exited by itself with code {run.exit_code}"
