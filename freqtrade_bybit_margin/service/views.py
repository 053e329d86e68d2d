"""
The read-only views the CLI shows (``status``, ``plan``), and the reuse of a plan's reads by the
``prepare`` that follows it (``apply`` right after the plan it asked about).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ccxt

from freqtrade_bybit_margin.model import PairTarget
from freqtrade_bybit_margin.service.engine import Engine, Progress
from freqtrade_bybit_margin.service.planning import (
    AccountStatus,
    Action,
    Located,
    PairPlan,
    Plan,
    decide,
)
from freqtrade_bybit_margin.service.survey import Survey


__all__ = ["PLAN_REUSE_S", "Views"]

#: Seconds a plan's reads stand in for ``prepare``'s own (``apply`` right after ``plan``).
PLAN_REUSE_S = 5.0


class Views:
    """Read-only passes over the engine; no memory is changed."""

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self._engine = engine
        self._clock = clock

    def status(
        self, targets: Sequence[PairTarget], progress: Progress | None = None
    ) -> AccountStatus:
        """Account type, account margin mode and each pair's current settings."""
        located = [self._engine.locate(target) for target in targets]
        survey = self._engine.survey(located)
        states = self._engine.states(located, survey, progress)
        return self._engine.status_of(located, survey, states)

    def plan(self, targets: Sequence[PairTarget], progress: Progress | None = None) -> Plan:
        """What ``prepare`` would do, from the exchange's current answers."""
        located = [self._engine.locate(target) for target in targets]
        survey = self._engine.survey(located)
        account = self._engine.account_plan(located, survey)
        states = self._engine.states(located, survey, progress)
        survey.at = self._clock()  # the reads are as fresh as the last of them
        pairs = [
            PairPlan(
                i.target, i.mechanism, state, (d := decide(i, state, account)).action, d.reason
            )
            for i, state in zip(located, states, strict=True)
        ]
        return Plan(self._engine.status_of(located, survey, states), pairs, account, survey)

    def reused(self, plan: Plan, located: Sequence[Located]) -> Survey | None:
        """The plan's reads while fresh (:data:`PLAN_REUSE_S`); else a new bulk survey with
        the plan's reads of the pairs it would not write (the others are read again)."""
        old = plan.survey
        if old is None:
            return None
        if self._clock() - old.at <= PLAN_REUSE_S:
            return old
        keep = {
            item.contract.market_id
            for item, planned in zip(located, plan.pairs, strict=False)
            if planned.target == item.target and planned.action is Action.NONE
        }
        try:
            fresh = self._engine.survey(located)
        except ccxt.BaseError:
            return None  # the pass reads again, and reports what fails
        fresh.known.update({key: state for key, state in old.known.items() if key in keep})
        return fresh
