"""
What the terminal commands share: ``rich`` rendering in the CLI's style (tables that fit 80
columns, cells that wrap instead of being cut, no trailing blanks off a terminal) and the
simulator options of the ``simulator`` and ``demo`` commands. The CLI and the demo both use it;
neither imports the other's modules for it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.constants import AccountType
from freqtrade_bybit_margin.redact import scrub


__all__ = ["MAX_LATENCY_MS", "add_simulator_options", "bounded", "emit", "make_console", "table_of"]

#: The simulator's latency per request: at most a minute.
MAX_LATENCY_MS = 60_000.0


def make_console(file: IO[str]) -> Console:
    """
    A console on ``file``; off a terminal without colour, 80 columns unless ``COLUMNS`` says.

    :param file: stdout or stderr
    :return: the console
    """
    if file.isatty():
        return Console(file=file, highlight=False)
    return Console(file=file, highlight=False, no_color=True)


def table_of(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], wrap: Sequence[int] = (-1,)
) -> Table:
    """
    A table in the CLI's style that fits the console by wrapping the columns of several words
    (the reason, "cross 10x") between words; the others keep their words whole. Nothing is cut
    with an ellipsis: if a table cannot fit at all, words are folded.

    :param title: shown above it
    :param header: column headers
    :param rows: cells as rich markup, one sequence per row
    :param wrap: indexes of the columns that may wrap (default: the last)
    :return: the table
    """
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    wrapping = {index % len(header) for index in wrap}
    for index, column in enumerate(header):
        table.add_column(column, overflow="fold", no_wrap=index not in wrapping)
    for row in rows:
        table.add_row(*row)
    return table


def emit(console: Console, *renderables: Any, soft_wrap: bool = False) -> None:
    """
    Print each renderable on its own line(s), credentials masked (:func:`~freqtrade_bybit_margin.
    redact.scrub`); off a terminal, without the trailing blanks rich pads lines with.

    :param console: where to print
    :param renderables: what to print
    :param soft_wrap: leave long text lines to the terminal instead of wrapping them
    """
    with console.capture() as capture:
        console.print(*renderables, sep="\n", soft_wrap=soft_wrap)
    text = scrub(capture.get())
    if not console.is_terminal:
        text = "".join(line.rstrip() + "\n" for line in text.splitlines())
    console.file.write(text)
    console.file.flush()


def bounded(
    kind: type[float] | type[int], low: float, high: float, what: str
) -> Callable[[str], float | int]:
    """
    An argparse ``type`` that accepts a finite number from ``low`` to ``high`` and refuses
    anything else with the value and what is allowed (never silently clamped).

    :param kind: ``int`` or ``float``
    :param low: the smallest value allowed
    :param high: the largest value allowed
    :param what: the unit, for the message (``"a whole number"``, ``"milliseconds"``)
    :return: the parser
    """

    def parse(text: str) -> float | int:
        try:
            value: float | int | None = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not allowed; allowed: {what} from {low:g} to {high:g}"
            )
        return value

    return parse


def add_simulator_options(parser: argparse.ArgumentParser) -> None:
    """
    ``--account`` and ``--latency-ms``, the simulator options ``simulator`` and ``demo`` share.

    :param parser: the command's sub-parser
    """
    parser.add_argument(
        "--account",
        choices=[a.value for a in AccountType],
        default=AccountType.UTA2.value,
        help="simulated Bybit account type (default: uta2, what new keys are today)",
    )
    parser.add_argument(
        "--latency-ms",
        type=bounded(float, 0, MAX_LATENCY_MS, "milliseconds"),
        default=0.0,
        metavar="MS",
        help=f"simulated latency per request (0 to {MAX_LATENCY_MS:g} ms, default 0)",
    )
