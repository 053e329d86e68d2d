"""
The pair table: ONE row builder (pair / mechanism / mode / leverage / result) for the bot's log,
the CLI and the demo, a plain-text renderer and the bot's two log tables (the startup summary,
the plan outside live mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import PairResult, PairTarget


__all__ = [
    "HEADER",
    "fmt_leverage",
    "mode_cell",
    "plan_row",
    "plan_table",
    "result_line",
    "result_row",
    "summary_table",
    "text_table",
]

HEADER = ("pair", "mechanism", "mode", "leverage", "result")


def result_row(result: PairResult) -> tuple[str, str, str, str, str]:
    """One row of :data:`HEADER` for a preparation result."""
    outcome = result.outcome.value
    return (
        result.pair,
        result.mechanism.value,
        result.target.margin_mode.value,
        fmt_leverage(result.target.leverage),
        f"{outcome}: {result.reason}" if result.reason else outcome,
    )


def mode_cell(text: str, hedge: bool) -> str:
    """A pair's current mode (``"isolated 5x"``) as a cell, naming hedge mode where the symbol
    is in it (freqtrade's orders are one-way; one-way is not said): ``"isolated 5x (hedge)"``."""
    return f"{text} (hedge)" if hedge else text


def plan_row(
    target: PairTarget, mechanism: str = "unknown (no keys)", note: str = "planned"
) -> tuple[str, str, str, str, str]:
    """One row of :data:`HEADER` for a pair that is only planned (no private request)."""
    return (
        target.pair,
        mechanism,
        target.margin_mode.value,
        fmt_leverage(target.leverage),
        note,
    )


def result_line(result: PairResult) -> str:
    """``"BTC/USDT:USDT isolated 3x via switch-isolated: changed (reason)"``."""
    pair, mechanism, mode, leverage, outcome = result_row(result)
    return f"{pair} {mode} {leverage} via {mechanism}: {outcome}"


def text_table(title: str, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> str:
    """``title`` then the rows under ``header``, columns padded, for a log line."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [header, *rows]
    body = "\n".join(
        "  " + "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip()
        for line in lines
    )
    return f"{title}\n{body}"


def summary_table(account: str, on_failure: Enum, results: Sequence[PairResult]) -> str:
    """The bot's startup summary: a pair counts as ready only when the service confirmed it.

    :param account: the account type's label (``UTA2.0``)
    :param on_failure: the configured policy
    """
    ready = sum(r.confirmed for r in results)
    title = (
        f"Bybit margin: {ready} of {len(results)} pairs ready ({account}, "
        f"on_failure: {on_failure.value}):"
    )
    return text_table(title, [result_row(r) for r in results])


def plan_table(targets: Sequence[PairTarget], runmode: str, on_failure: Enum) -> str:
    """The bot's plan outside live mode (no private request is made there)."""
    title = (
        f"Bybit margin plan ({runmode}: no private request; live mode prepares these "
        f"pairs at startup, on_failure: {on_failure.value}):"
    )
    return text_table(title, [plan_row(target) for target in targets])
