"""
Progress while the service reads and writes, from the first second: a transient bar on a
terminal, throttled lines otherwise (for long lists only, so that short runs stay quiet).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console

from freqtrade_bybit_margin.cli.pairs import plural
from freqtrade_bybit_margin.service.margin_service import Progress


__all__ = ["progress_reporter"]

#: Without a terminal, progress lines are printed only for this many pairs or more.
PROGRESS_LINES_FROM = 20
#: ... and at most once per this many seconds (plus the first and the last).
PROGRESS_EVERY_S = 1.0
PHASE_WORDS = {"read": "read", "write": "prepared"}


@contextmanager
def progress_reporter(stream: IO[str], total: int, what: str) -> Iterator[Progress]:
    """
    Progress while the service reads and writes, from the first second.

    On a terminal a transient bar per phase; otherwise, for long lists, a line when the work
    starts, then ``read 40/100 pairs`` / ``prepared 40/100 pairs`` at most once per
    :data:`PROGRESS_EVERY_S` (and always the last).

    :param stream: where to show it (stderr)
    :param total: pairs to work on
    :param what: the work, for the first line (``reading``)
    :return: a context manager yielding the ``progress`` callback for the service
    """
    start = f"{what} {plural(total, 'pair')}"
    if stream.isatty():
        from rich.progress import Progress as Bar

        with Bar(console=Console(file=stream), transient=True) as bar:
            yield _BarProgress(bar, start)
    elif total >= PROGRESS_LINES_FROM:
        print(f"{start} ...", file=stream, flush=True)
        yield _LineProgress(stream)
    else:
        yield _no_progress


class _BarProgress:
    """One bar for the current phase; a spinner until the first report."""

    def __init__(self, bar: Any, start: str) -> None:
        self._bar = bar
        self._phase = ""
        self._task = bar.add_task(start, total=None)

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase:
            self._bar.remove_task(self._task)
            self._phase = phase
            self._task = self._bar.add_task(PHASE_WORDS.get(phase, phase), total=total)
        self._bar.update(self._task, completed=done, total=total)


class _LineProgress:
    """``prepared 40/100 pairs`` lines, throttled."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._last = time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            word = PHASE_WORDS.get(phase, phase)
            print(f"{word} {done}/{total} pairs", file=self._stream, flush=True)


def _no_progress(phase: str, done: int, total: int) -> None:
    """Short lists off a terminal: no progress output."""
