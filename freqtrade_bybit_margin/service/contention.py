"""
The contention guard: a setting the plugin wrote that is found changed away again, a second
time within a few verify intervals, means another actor (another bot on the same UID, a script,
a person) keeps setting it. Writing it back would start a ping-pong in which each bot may enter
at the other's leverage (bots on one UID share one position per symbol): the plugin stops
writing the setting, entries that need it are refused, the user is told once, and the setting
is checked again with back-off; writing resumes once it stays put.

A setting is a pair's leverage (key: the pair) or the unified account's margin mode (key
:data:`ACCOUNT`). The first check comes after about one verify interval (a third of the
window), each later one twice as late; once a setting was contested, one change-away after
writing resumed contests it again. Hard bound, whatever happens: at most :data:`MAX_WRITES`
writes of one setting in :data:`WRITE_WINDOW_S` seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal

from freqtrade_bybit_margin.markets import fmt_leverage


__all__ = ["ACCOUNT", "Contention", "Contest", "show"]

ACCOUNT = "account margin mode"
#: At most this many writes of one setting ...
MAX_WRITES = 4
#: ... in this many seconds.
WRITE_WINDOW_S = 180.0
#: Longest wait between two checks of a contested setting.
MAX_RECHECK_S = 1800.0


@dataclass(frozen=True)
class Contest:
    """Another actor keeps changing a setting the plugin wrote.

    :param key: the pair, or :data:`ACCOUNT`
    :param ours: the value the plugin wrote
    :param theirs: the value found instead
    :param recheck_at: when the setting is looked at again
    """

    key: str
    ours: str
    theirs: str
    since: float
    recheck_at: float

    @property
    def reason(self) -> str:
        """One line for the gate and the log."""
        return (
            f"another client keeps setting {self.key} to {self.theirs} (this bot set "
            f"{self.ours}); not written again before it stays put"
        )


@dataclass
class _Setting:
    written: str | None = None
    writes: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    last_seen: str | None = None
    contest: Contest | None = None
    recheck_s: float = 0.0
    needed: int = 2
    """Changes-away within the window that make a contest (1 once it was contested)."""


Value = str | Decimal | None


def show(value: Value) -> str:
    """A setting's value as the user reads it (``5x``, ``REGULAR_MARGIN``, ``?``)."""
    return value if isinstance(value, str) else fmt_leverage(value)


class Contention:
    """Thread-safe record of what the plugin wrote, what it found, and which settings are
    contested.

    :param window: seconds within which a second change-away means contention (a few verify
        intervals)
    """

    def __init__(self, window: float = 180.0) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._settings: dict[str, _Setting] = {}

    def wrote(self, key: str, value: Value, at: float) -> None:
        """The plugin wrote ``value`` and Bybit's parsed answer accepted it."""
        with self._lock:
            setting = self._settings.setdefault(key, _Setting())
            setting.written = show(value)
            setting.last_seen = setting.written
            setting.writes = [t for t in setting.writes if at - t < WRITE_WINDOW_S] + [at]

    def seen(self, key: str, value: Value, at: float) -> Contest | None:
        """
        A read found ``value``. Returns a new :class:`Contest` (to be announced once) when this
        is the second change-away from the plugin's write within the window.
        """
        found = show(value)
        with self._lock:
            setting = self._settings.get(key)
            if setting is None or setting.written is None:
                return None
            stayed = found == setting.last_seen
            setting.last_seen = found
            if setting.contest is not None:
                return self._recheck(setting, found, stayed, at)
            if stayed or found == setting.written:
                return None  # no new change (several reads see one change once)
            setting.changes = [t for t in setting.changes if at - t < self.window] + [at]
            if len(setting.changes) < setting.needed:
                return None
            first = self.window / 3
            setting.recheck_s = min(MAX_RECHECK_S, max(first, setting.recheck_s * 2))
            setting.contest = Contest(key, setting.written, found, at, at + setting.recheck_s)
            return setting.contest

    def blocks(self, key: str, at: float) -> Contest | None:
        """The contest that forbids writing ``key`` now, if any (also the write bound)."""
        with self._lock:
            setting = self._settings.get(key)
            if setting is None:
                return None
            if setting.contest is not None:
                return setting.contest
            recent = [t for t in setting.writes if at - t < WRITE_WINDOW_S]
            if len(recent) >= MAX_WRITES and setting.written is not None:
                theirs = setting.last_seen or "?"
                return Contest(key, setting.written, theirs, at, recent[0] + WRITE_WINDOW_S)
            return None

    def due(self, at: float) -> list[str]:
        """Contested settings whose check has come."""
        with self._lock:
            return [
                key
                for key, setting in self._settings.items()
                if setting.contest is not None and at >= setting.contest.recheck_at
            ]

    def _recheck(self, setting: _Setting, found: str, stayed: bool, at: float) -> Contest | None:
        contest = setting.contest
        assert contest is not None
        if at < contest.recheck_at:
            return None
        if stayed or found == setting.written:
            setting.contest = None  # nobody changed it since: writing resumes
            setting.changes = []
            setting.needed = 1
            return None
        setting.recheck_s = min(MAX_RECHECK_S, setting.recheck_s * 2)
        setting.contest = Contest(
            contest.key, contest.ours, found, contest.since, at + setting.recheck_s
        )
        return None
