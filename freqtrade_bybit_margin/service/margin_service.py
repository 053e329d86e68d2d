"""
Bring a set of pairs to their target margin mode and leverage, with the mechanism the account
supports and as few requests as possible, and keep them there.

Every pass reads first, in bulk where Bybit allows it (``survey.py``), decides with the one pure
``decide()`` (``planning.py``) and writes only what differs (``writer.py``): a restart where
everything holds writes nothing. Only a parsed Bybit answer or a read confirms a pair. Pairs with
an open position or order are never switched. No freqtrade import: the mixin, the CLI and the
benchmarks share it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.markets import Contract
from freqtrade_bybit_margin.model import AccountType, Mechanism, PairResult, PairTarget
from freqtrade_bybit_margin.service.calls import RetryPolicy
from freqtrade_bybit_margin.service.engine import Engine, Progress
from freqtrade_bybit_margin.service.memory import Backoff, Memory
from freqtrade_bybit_margin.service.pacing import Pacer
from freqtrade_bybit_margin.service.planning import AccountStatus, Located, PairPlan, Plan, decide
from freqtrade_bybit_margin.service.reader import Exposure
from freqtrade_bybit_margin.service.survey import Survey


__all__ = ["MarginService", "Progress", "RetryPolicy"]

logger = logging.getLogger(__name__)


class MarginService:
    """Prepares pairs on one sync ``ccxt.bybit`` instance and remembers what it confirmed.

    :param exchange: sync ``ccxt.bybit`` with credentials (freqtrade's own in the bot)
    :param tap: the rate-limit headers of ``exchange``'s answers, installed by whoever owns the
        client (None: the service paces by its own count alone)
    :param max_workers: pairs handled concurrently; pacing keeps every endpoint under Bybit's
        per-UID limit whatever this is
    :param backoff: when a pair that is not confirmed is tried again
    :param on_account_change: called with a one-line announcement before an account-wide change
    """

    def __init__(
        self,
        exchange: Any,
        *,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        tap: HeaderTap | None = None,
        backoff: Backoff | None = None,
        max_workers: int = 4,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_account_change: Callable[[str], None] | None = None,
    ) -> None:
        self._clock = clock
        self._engine = Engine(
            exchange,
            retry=retry or RetryPolicy(),
            pacer=pacer,
            tap=tap,
            max_workers=max_workers,
            clock=clock,
            sleep=sleep,
            on_account_change=on_account_change,
        )
        self._memory = Memory(backoff or Backoff())
        self._work = threading.RLock()

    # -- account ----------------------------------------------------------------------------

    @property
    def account_type(self) -> AccountType:
        """Classic / UTA1.0 / UTA2.0 (probed once; no request when freqtrade already did)."""
        return self._engine.account_type

    def contract(self, pair: str) -> Contract:
        """``pair`` as Bybit's margin endpoints see it."""
        return self._engine.contract(pair)

    def mechanism_for(self, pair: str) -> Mechanism:
        """The mechanism Bybit serves for ``pair`` on this account."""
        return self._engine.mechanism_for(pair)

    # -- memory -----------------------------------------------------------------------------

    def result_for(self, pair: str) -> PairResult | None:
        """The last result for ``pair``; no request."""
        return self._memory.get(pair)

    def is_confirmed(self, target: PairTarget) -> bool:
        """True if the last result of its pair confirmed exactly ``target``; no request."""
        result = self._memory.get(target.pair)
        return result is not None and result.confirms(target, self._clock(), math.inf)

    # -- preparing --------------------------------------------------------------------------

    def prepare(
        self, targets: Sequence[PairTarget], progress: Progress | None = None
    ) -> list[PairResult]:
        """
        Bring every target pair to its mode and leverage; one result per target, in order.

        Per-pair failures become FAILED results (retried later by :meth:`maintain`).
        """
        with self._work:
            unique = list({target.pair: target for target in targets}.values())
            located, results = self._engine.locate_all(unique)
            results.update(self._engine.prepare(located, None, progress))
            self._memory.record(results.values())
            return [results[target.pair] for target in unique]

    def maintain(
        self, targets: Sequence[PairTarget], *, verify_interval: float, max_requests: int = 20
    ) -> list[PairResult]:
        """
        One bounded slice of background work; returns the results whose confirmation changed.

        Prepares targets never prepared (late joiners) and pairs whose retry came, then
        re-reads confirmed pairs older than ``verify_interval`` (at most ``max_requests`` pairs
        each): drifted flat pairs are prepared again, drifted busy pairs become unconfirmed.
        """
        now = self._clock()
        due = [t for t in targets if self._memory.is_new(t) or self._memory.retry_due(t.pair, now)]
        stale = [t for t in targets if self._memory.stale(t, now, verify_interval)]
        changed: list[PairResult] = []
        if due:
            before = {t.pair: self._memory.get(t.pair) for t in due}
            for result in self.prepare(due[:max_requests]):
                last = before[result.pair]
                if (
                    last is None
                    or last.confirmed != result.confirmed
                    or last.target != result.target
                ):
                    changed.append(result)
        if stale:
            changed.extend(self.verify(stale[:max_requests]))
        return changed

    def verify(self, targets: Sequence[PairTarget]) -> list[PairResult]:
        """
        Re-read confirmed pairs in bulk; re-prepare those that drifted. Returns the drifted.

        A pair whose state cannot be read keeps its confirmation until :meth:`ensure` reads it.
        """
        with self._work:
            located, failed = self._engine.locate_all(targets)
            self._memory.record(failed.values())
            try:
                survey = self._engine.survey(located)
            except ccxt.BaseError as error:
                logger.info(
                    "Bybit margin: re-reading %d pairs failed (%s); each is read again before "
                    "its next entry.",
                    len(located),
                    classify(error).reason,
                )
                return list(failed.values())
            drifted = [item for item in located if not self._holds(item, survey)]
            results = self._engine.prepare(drifted, survey, None)
            self._memory.record(results.values())
            return [*failed.values(), *results.values()]

    def ensure(self, target: PairTarget, *, max_age: float) -> PairResult:
        """
        The entry gate's question: is ``target`` confirmed now?

        Confirmed within ``max_age``: 0 requests. Confirmed longer ago: one read (and the pair
        prepared again if it drifted). Not confirmed: prepared if it is new or its retry came.
        """
        now = self._clock()
        result = self._memory.get(target.pair)
        if result is not None and result.confirms(target, now, math.inf):
            if result.confirms(target, now, max_age):
                return result
            return self._reread(target)
        if result is None or result.target != target or self._memory.retry_due(target.pair, now):
            return self.prepare([target])[0]
        return result

    # -- read-only views for the CLI --------------------------------------------------------

    def status(
        self, targets: Sequence[PairTarget], progress: Progress | None = None
    ) -> AccountStatus:
        """Account type, account margin mode and each pair's current settings. Read-only."""
        located = [self._engine.locate(target) for target in targets]
        survey = self._engine.survey(located)
        states = self._engine.states(located, survey, progress)
        return self._engine.status_of(located, survey, states)

    def plan(self, targets: Sequence[PairTarget], progress: Progress | None = None) -> Plan:
        """What :meth:`prepare` would do, from the exchange's current answers. Read-only."""
        located = [self._engine.locate(target) for target in targets]
        survey = self._engine.survey(located)
        account = self._engine.account_plan(located, survey)
        states = self._engine.states(located, survey, progress)
        pairs = [
            PairPlan(
                i.target, i.mechanism, state, (d := decide(i, state, account)).action, d.reason
            )
            for i, state in zip(located, states, strict=True)
        ]
        return Plan(self._engine.status_of(located, survey, states), pairs, account)

    def _holds(self, item: Located, survey: Survey) -> bool:
        if not self._engine.holds(item, survey):
            return False
        self._memory.touch(item.pair, self._clock())
        return True

    def _reread(self, target: PairTarget) -> PairResult:
        """One read of a confirmed pair; prepared again if it drifted."""
        with self._work:
            located, failed = self._engine.locate_all([target])
            if failed:
                self._memory.record(failed.values())
                return failed[target.pair]
            survey = Survey(Exposure(), account_mode=self._engine.account_mode)
            try:
                holds = self._holds(located[0], survey)
            except ccxt.BaseError as error:
                item = located[0]
                result = self._engine.outcomes.failed(target, item.mechanism, classify(error))
                self._memory.record([result])
                return result
        if holds:
            return self._memory.get(target.pair) or self.prepare([target])[0]
        return self.prepare([target])[0]
