"""
One pair's pass: read its state, decide, write what differs, and say what came of it as a
:class:`~freqtrade_bybit_margin.model.PairResult` (one builder for every outcome).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.markets import fmt_leverage
from freqtrade_bybit_margin.model import (
    Failure,
    FailureKind,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)
from freqtrade_bybit_margin.service.calls import Counter
from freqtrade_bybit_margin.service.contention import Contention
from freqtrade_bybit_margin.service.planning import AccountModePlan, Action, Located, decide
from freqtrade_bybit_margin.service.position_mode import ONE_WAY, SWITCHED, contention_key
from freqtrade_bybit_margin.service.reader import PairState
from freqtrade_bybit_margin.service.survey import Survey, Surveyor
from freqtrade_bybit_margin.service.writer import PairWriter


__all__ = ["PairPass"]


class PairPass:
    """Runs one pair through read -> decide -> write."""

    def __init__(
        self,
        surveyor: Surveyor,
        writer: PairWriter,
        contention: Contention,
        clock: Callable[[], float],
    ) -> None:
        self._surveyor = surveyor
        self._writer = writer
        self._contention = contention
        self._clock = clock

    def run(
        self,
        item: Located,
        survey: Survey,
        account: AccountModePlan | None,
        account_failure: Failure | None,
        own_position: bool = False,
    ) -> PairResult:
        """Bring one pair to its target; never raises for exchange failures."""
        counter = Counter()
        try:
            state = self._surveyor.state(survey, item.contract, item.mechanism)
            decision = decide(item, state, account, own_position=own_position)
            if decision.action is Action.UNKNOWN or state is None:
                failure = Failure(FailureKind.UNREADABLE, decision.reason)
                return self.failed(item.target, item.mechanism, failure)
            if decision.action is Action.NONE:
                if state.busy:
                    reason = f"{state.busy_reason}; left as it is (already at target)"
                    return self.result(item, Outcome.SKIPPED, True, reason=reason)
                return self.result(item, Outcome.UNCHANGED, True)
            if decision.action is Action.BLOCKED and state.busy:
                return self._skipped(item, state, decision.reason)
            account_wide = account if item.mechanism is Mechanism.ACCOUNT_MODE else None
            if account_wide is not None and account_failure is not None:
                return self.failed(item.target, item.mechanism, account_failure)
            contest = self._contention.blocks(item.pair, self._clock())
            if contest is None and decision.write_position_mode:
                contest = self._contention.blocks(contention_key(item.pair), self._clock())
            if contest is not None and (
                decision.write_mode or decision.write_leverage or decision.write_position_mode
            ):
                failure = Failure(FailureKind.CONTESTED, contest.reason)
                return self.failed(item.target, item.mechanism, failure)
            changed = self._writer.write(item, decision, counter)
            if changed:
                self._contention.wrote(item.pair, item.target.leverage, self._clock())
            if decision.write_position_mode:
                self._contention.wrote(contention_key(item.pair), ONE_WAY, self._clock())
            changed = changed or (account_wide is not None and account_wide.action is Action.SWITCH)
            outcome = Outcome.CHANGED if changed else Outcome.UNCHANGED
            reason = SWITCHED if decision.write_position_mode else ""
            return self.result(item, outcome, True, reason=reason, requests=counter.sent)
        except ccxt.BaseError as error:
            return self.failed(item.target, item.mechanism, classify(error), counter.sent)

    def unreadable(self, located: Sequence[Located], failure: Failure) -> dict[str, PairResult]:
        """Every pair FAILED because the bulk reads failed; retried later unless the key itself
        was refused."""
        reason = f"could not read open positions/orders, not switching: {failure.reason}"
        kind = failure.kind if failure.kind.key_refused else FailureKind.UNREADABLE
        failure = replace(failure, kind=kind, reason=reason)
        return {item.pair: self.failed(item.target, item.mechanism, failure) for item in located}

    def _skipped(self, item: Located, state: PairState, why: str) -> PairResult:
        mode = state.margin_mode.value if state.margin_mode else "unknown mode"
        reason = f"{why}; left as it is (now {mode} {fmt_leverage(state.leverage)})"
        failure = Failure(FailureKind.BLOCKED, reason)
        return self.result(item, Outcome.SKIPPED, False, reason=reason, failure=failure)

    def result(
        self,
        item: Located | tuple[PairTarget, Mechanism],
        outcome: Outcome,
        confirmed: bool,
        *,
        reason: str = "",
        requests: int = 0,
        failure: Failure | None = None,
    ) -> PairResult:
        """The one builder of a :class:`PairResult`."""
        target, mechanism = (item.target, item.mechanism) if isinstance(item, Located) else item
        return PairResult(
            target=target,
            mechanism=mechanism,
            outcome=outcome,
            confirmed=confirmed,
            reason=reason,
            failure=failure,
            requests=requests,
            at=self._clock(),
        )

    def failed(
        self, target: PairTarget, mechanism: Mechanism, failure: Failure, requests: int = 0
    ) -> PairResult:
        """A FAILED result carrying ``failure``."""
        return self.result(
            (target, mechanism),
            Outcome.FAILED,
            False,
            reason=failure.reason,
            requests=requests,
            failure=failure,
        )
