"""
The pair table: ONE row builder (pair / mechanism / mode / leverage / result) for the bot's log,
the CLI and the demo, and a plain-text renderer for logs.
"""

from __future__ import annotations

from collections.abc import Sequence

from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import PairResult, PairTarget


__all__ = ["HEADER", "fmt_leverage", "plan_row", "result_line", "result_row", "text_table"]

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
