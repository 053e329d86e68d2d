"""
One pair's pass: read its state, decide, write what differs, and say what came of it as a
:class:`~freqtrade_bybit_margin.model.PairResult` (one builder for every outcome).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import ccxt

from freqtrade_bybit_margin.markets import Contract, fmt_leverage
from freqtrade_bybit_margin.model import Mechanism, Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.service.calls import Counter
from freqtrade_bybit_margin.service.classify import Failure, classify
from freqtrade_bybit_margin.service.planning import AccountModePlan, Action, decide
from freqtrade_bybit_margin.service.reader import PairState
from freqtrade_bybit_margin.service.survey import Survey, Surveyor
from freqtrade_bybit_margin.service.writer import PairWriter


__all__ = ["Located", "PairPass"]

#: A target with its contract and the mechanism that serves it.
Located = tuple[PairTarget, Contract, Mechanism]


class PairPass:
    """Runs one pair through read -> decide -> write."""

    def __init__(self, surveyor: Surveyor, writer: PairWriter, clock: Callable[[], float]) -> None:
        self._surveyor = surveyor
        self._writer = writer
        self._clock = clock

    def run(
        self,
        item: Located,
        survey: Survey,
        account: AccountModePlan | None,
        account_failure: Failure | None,
    ) -> PairResult:
        """Bring one pair to its target; never raises for exchange failures."""
        target, contract, mechanism = item
        counter = Counter()
        try:
            state = self._surveyor.state(survey, contract, mechanism)
            decision = decide(target, mechanism, state, account)
            if decision.action is Action.UNKNOWN or state is None:
                failure = Failure("BadResponse", None, True, decision.reason)
                return self.failed(target, mechanism, failure, 0)
            if decision.action is Action.NONE:
                if state.busy:
                    reason = f"{state.busy_reason}; left as it is (already at target)"
                    return self.result(target, mechanism, Outcome.SKIPPED, True, reason=reason)
                return self.result(target, mechanism, Outcome.UNCHANGED, True)
            if decision.action is Action.BLOCKED and state.busy:
                return self._skipped(target, mechanism, state, decision.reason)
            if mechanism is Mechanism.ACCOUNT_MODE and account_failure is not None:
                return self.failed(target, mechanism, account_failure, 0)
            changed = self._writer.write(target, decision, counter)
            if mechanism is Mechanism.ACCOUNT_MODE and account is not None:
                changed = changed or account.action is Action.SWITCH
            outcome = Outcome.CHANGED if changed else Outcome.UNCHANGED
            return self.result(target, mechanism, outcome, True, requests=counter.sent)
        except ccxt.BaseError as error:
            return self.failed(target, mechanism, classify(error), counter.sent)

    def unreadable(self, located: Sequence[Located], failure: Failure) -> dict[str, PairResult]:
        """Every pair FAILED because the bulk reads failed; retried later, never permanently."""
        permanent = failure.error in ("AuthenticationError", "PermissionDenied")
        reason = f"could not read open positions/orders, not switching: {failure.reason}"
        failure = replace(failure, reason=reason, retryable=not permanent)
        return {t.pair: self.failed(t, m, failure, 0) for t, _, m in located}

    def _skipped(
        self, target: PairTarget, mechanism: Mechanism, state: PairState, why: str
    ) -> PairResult:
        mode = state.margin_mode.value if state.margin_mode else "unknown mode"
        reason = f"{why}; left as it is (now {mode} {fmt_leverage(state.leverage)})"
        result = self.result(target, mechanism, Outcome.SKIPPED, False, reason=reason)
        return replace(result, retryable=True)

    def result(
        self,
        target: PairTarget,
        mechanism: Mechanism,
        outcome: Outcome,
        confirmed: bool,
        *,
        reason: str = "",
        requests: int = 0,
        failure: Failure | None = None,
    ) -> PairResult:
        """The one builder of a :class:`PairResult`."""
        return PairResult(
            target=target,
            mechanism=mechanism,
            outcome=outcome,
            confirmed=confirmed,
            reason=reason,
            error=failure.error if failure else None,
            retryable=failure.retryable if failure else False,
            requests=requests,
            at=self._clock(),
        )

    def failed(
        self, target: PairTarget, mechanism: Mechanism, failure: Failure, requests: int
    ) -> PairResult:
        """A FAILED result carrying ``failure``."""
        return self.result(
            target,
            mechanism,
            Outcome.FAILED,
            False,
            reason=failure.reason,
            requests=requests,
            failure=failure,
        )
