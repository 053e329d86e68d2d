"""
What one slice of background work found: results whose confirmation changed, and open trades
whose position on Bybit is no longer at the margin mode and leverage freqtrade records for them
(changed by a person, another bot, or Bybit itself lowering a risk limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import PairResult, PairTarget
from freqtrade_bybit_margin.service.reader import PairState


__all__ = ["Maintenance", "Mismatch", "reconcile"]


@dataclass(frozen=True)
class Mismatch:
    """An open trade whose position is not at the settings freqtrade records for it.

    :param recorded: the trade's margin mode and leverage (what freqtrade computes with)
    :param found: the position as Bybit reports it
    :param by_bybit: Bybit itself changed the leverage (``leverageSysUpdatedTime`` after the
        pair was last confirmed): a lowered risk limit, not a person or another bot
    """

    recorded: PairTarget
    found: PairState
    by_bybit: bool

    @property
    def pair(self) -> str:
        return self.recorded.pair

    @property
    def who(self) -> str:
        """Who most likely changed it."""
        return "Bybit adjusted it (risk limit)" if self.by_bybit else "changed outside the bot"

    @property
    def reason(self) -> str:
        """``the open trade is at isolated 5x, Bybit's position at isolated 10x (changed
        outside the bot)``."""
        found = self.found.margin_mode.value if self.found.margin_mode else "unknown mode"
        return (
            f"the open trade is at {self.recorded.margin_mode.value} "
            f"{fmt_leverage(self.recorded.leverage)}, Bybit's position at {found} "
            f"{fmt_leverage(self.found.leverage)} ({self.who})"
        )


def reconcile(recorded: PairTarget, found: PairState, *, since: float) -> Mismatch:
    """
    The mismatch of an open trade whose position is off its recorded settings.

    :param since: unix seconds the pair was last confirmed (Bybit adjusting after it counts)
    """
    by_bybit = (found.leverage_set_by_bybit_ms or 0) / 1000 > since > 0
    return Mismatch(recorded, found, by_bybit)


@dataclass
class Maintenance:
    """What :meth:`MarginService.maintain` found."""

    changed: list[PairResult] = field(default_factory=list)
    """Results whose confirmation changed (late joiners, retries, pairs that failed to read)."""
    drifted: list[PairResult] = field(default_factory=list)
    """Pairs a read found off their target, prepared again (or left, when busy)."""
    mismatches: list[Mismatch] = field(default_factory=list)
    """Open trades off their recorded settings."""

    def extend(self, other: Maintenance) -> None:
        self.changed.extend(other.changed)
        self.drifted.extend(other.drifted)
        self.mismatches.extend(other.mismatches)
