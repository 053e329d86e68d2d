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
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import cached_property
from typing import Any

import ccxt

from freqtrade_bybit_margin.ccxt_ext import account_type_of
from freqtrade_bybit_margin.markets import Contract, contract_of, mechanism_for
from freqtrade_bybit_margin.model import (
    AccountType,
    MarginMode,
    Mechanism,
    PairResult,
    PairTarget,
    account_type_from_status,
)
from freqtrade_bybit_margin.service.account_mode import AccountModeStep
from freqtrade_bybit_margin.service.calls import Caller, RetryPolicy
from freqtrade_bybit_margin.service.classify import classify
from freqtrade_bybit_margin.service.memory import Backoff, Memory
from freqtrade_bybit_margin.service.outcomes import Located, PairPass
from freqtrade_bybit_margin.service.pacing import Pacer, limits_for
from freqtrade_bybit_margin.service.planning import (
    AccountStatus,
    PairPlan,
    Plan,
    at_target,
    decide,
    decide_account,
)
from freqtrade_bybit_margin.service.reader import ExchangeReader, Exposure, PairState
from freqtrade_bybit_margin.service.survey import Survey, Surveyor
from freqtrade_bybit_margin.service.writer import PairWriter


__all__ = ["MarginService", "Progress", "RetryPolicy"]

logger = logging.getLogger(__name__)

#: Seconds an ``account/info`` answer stands in for the next pass's own read.
_FRESH = 2.0

#: ``progress(phase, done, total)``; phase ``"read"`` or ``"write"``.
Progress = Callable[[str, int, int], None]


class MarginService:
    """Prepares pairs on one sync ``ccxt.bybit`` instance and remembers what it confirmed.

    :param exchange: sync ``ccxt.bybit`` with credentials (freqtrade's own in the bot)
    :param max_workers: pairs handled concurrently; pacing keeps every endpoint under Bybit's
        per-UID limit whatever this is
    :param on_account_change: called with a one-line announcement before an account-wide change
    """

    def __init__(
        self,
        exchange: Any,
        *,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        backoff: Backoff | None = None,
        max_workers: int = 4,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_account_change: Callable[[str], None] | None = None,
    ) -> None:
        self._exchange = exchange
        self._clock = clock
        self._max_workers = max(1, max_workers)
        self._pacer = pacer or Pacer(clock=clock, sleep=sleep)
        self._call = Caller(exchange, self._pacer, retry or RetryPolicy(), clock=clock, sleep=sleep)
        self._reader = ExchangeReader(self._call)
        self._surveyor = Surveyor(self._reader)
        self._account_info: tuple[float, str] | None = None
        self._account = AccountModeStep(self._call, on_account_change)
        self._pass = PairPass(self._surveyor, PairWriter(exchange, self._call), clock)
        self._memory = Memory(backoff or Backoff())
        self._work = threading.RLock()
        self._account_mode: str | None = None

    # -- account ----------------------------------------------------------------------------

    @cached_property
    def account_type(self) -> AccountType:
        """
        Classic / UTA1.0 / UTA2.0: from ccxt's cached probe when freqtrade already made it (no
        request), else from one ``GET /v5/account/info`` whose margin mode the first pass reuses.
        """
        options = self._exchange.options
        if options.get("enableUnifiedAccount") is None and not options.get("enableDemoTrading"):
            status, mode = self._reader.account_info()
            if status is None:
                raise ccxt.BadResponse("GET /v5/account/info: no unifiedMarginStatus in the answer")
            self._account_info = (self._clock(), mode)
            account_type = account_type_from_status(status)
        else:
            account_type = account_type_of(options)
        self._pacer.set_limits(limits_for(account_type))
        return account_type

    def contract(self, pair: str) -> Contract:
        """``pair`` as Bybit's margin endpoints see it (markets loaded on first use)."""
        if not self._exchange.markets:
            self._exchange.load_markets()
        return contract_of(self._exchange.market(pair))

    def mechanism_for(self, pair: str) -> Mechanism:
        """The mechanism Bybit serves for ``pair`` on this account."""
        return mechanism_for(self.account_type, self.contract(pair))

    @property
    def requests_sent(self) -> dict[str, int]:
        """Private requests sent so far, per endpoint (every try counted)."""
        return dict(self._call.sent)

    # -- memory -----------------------------------------------------------------------------

    def result_for(self, pair: str) -> PairResult | None:
        """The last result for ``pair``; no request."""
        return self._memory.get(pair)

    def is_confirmed(self, target: PairTarget) -> bool:
        """True if the last result of its pair confirmed exactly ``target``; no request."""
        result = self._memory.get(target.pair)
        return result is not None and result.confirmed and result.target == target

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
            located, results = self._locate(unique)
            results.update(self._prepare_located(located, None, progress))
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
            located, failed = self._locate(targets)
            self._memory.record(failed.values())
            try:
                survey = self._survey(located)
            except ccxt.BaseError as error:
                logger.info("Bybit margin: re-reading %d pairs failed: %s", len(located), error)
                return list(failed.values())
            drifted = [item for item in located if not self._holds(item, survey)]
            results = self._prepare_located(drifted, survey, None)
            for result in results.values():
                logger.warning("Bybit margin: %s changed outside the bot; %s", result.pair, result)
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
        if result is not None and result.confirmed and result.target == target:
            if now - result.at <= max_age:
                return result
            return self._reread(target)
        if (
            result is None
            or self._memory.is_new(target)
            or self._memory.retry_due(target.pair, now)
        ):
            return self.prepare([target])[0]
        return result

    # -- read-only views for the CLI --------------------------------------------------------

    def status(self, pairs: Sequence[str], progress: Progress | None = None) -> AccountStatus:
        """Account type, account margin mode and each pair's current settings. Read-only."""
        located = [
            (PairTarget(p, MarginMode.ISOLATED, 0.0), self.contract(p), self.mechanism_for(p))
            for p in pairs
        ]
        survey = self._survey(located)
        states = self._states(located, survey, progress)
        return self._status(located, survey, states)

    def plan(self, targets: Sequence[PairTarget], progress: Progress | None = None) -> Plan:
        """What :meth:`prepare` would do, from the exchange's current answers. Read-only."""
        located = [(t, self.contract(t.pair), self.mechanism_for(t.pair)) for t in targets]
        survey = self._survey(located)
        account = self._account_plan(located, survey)
        states = self._states(located, survey, progress)
        pairs = [
            PairPlan(t, m, state, (d := decide(t, m, state, account)).action, d.reason)
            for (t, _, m), state in zip(located, states, strict=True)
        ]
        return Plan(self._status(located, survey, states), pairs, account)

    # -- internals --------------------------------------------------------------------------

    def _locate(self, targets: Sequence[PairTarget]) -> tuple[list[Located], dict[str, PairResult]]:
        located: list[Located] = []
        failed: dict[str, PairResult] = {}
        for target in targets:
            try:
                located.append(
                    (target, self.contract(target.pair), self.mechanism_for(target.pair))
                )
            except ccxt.BaseError as error:
                failed[target.pair] = self._pass.failed(
                    target, Mechanism.SWITCH_ISOLATED, classify(error), 0
                )
        return located, failed

    def _survey(self, located: Sequence[Located]) -> Survey:
        known = self._account_info
        fresh = known[1] if known and self._clock() - known[0] < _FRESH else None
        self._account_info = None
        survey = self._surveyor.survey([(c, m) for _, c, m in located], fresh)
        if survey.account_mode is not None:
            self._account_mode = survey.account_mode
        return survey

    def _account_plan(self, located: Sequence[Located], survey: Survey) -> Any:
        modes = [t.margin_mode for t, _, m in located if m is Mechanism.ACCOUNT_MODE]
        return decide_account(modes, survey.account_mode, survey.exposure)

    def _prepare_located(
        self, located: Sequence[Located], survey: Survey | None, progress: Progress | None
    ) -> dict[str, PairResult]:
        if not located:
            return {}
        if survey is None:
            try:
                survey = self._survey(located)
            except ccxt.BaseError as error:
                return self._pass.unreadable(located, classify(error))
        account = self._account_plan(located, survey)
        account_failure, _ = self._account.run(account)
        results: dict[str, PairResult] = {}
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            futures = [
                pool.submit(self._pass.run, item, survey, account, account_failure)
                for item in located
            ]
            for done, future in enumerate(as_completed(futures), start=1):
                result = future.result()
                results[result.pair] = result
                if progress is not None:
                    progress("write", done, len(futures))
        return results

    def _states(
        self, located: Sequence[Located], survey: Survey, progress: Progress | None
    ) -> list[PairState | None]:
        def read(item: Located) -> PairState | None:
            return self._surveyor.state(survey, item[1], item[2])

        states: list[PairState | None] = []
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            for done, state in enumerate(pool.map(read, located), start=1):
                states.append(state)
                if progress is not None:
                    progress("read", done, len(located))
        return states

    def _status(
        self, located: Sequence[Located], survey: Survey, states: Sequence[PairState | None]
    ) -> AccountStatus:
        pairs = [
            s or PairState(t.pair, None, None) for (t, _, _), s in zip(located, states, strict=True)
        ]
        busy = set(survey.exposure.positions) | set(survey.exposure.open_orders)
        by_id = {c.market_id: t.pair for t, c, _ in located}
        return AccountStatus(
            self.account_type,
            survey.account_mode,
            pairs,
            tuple(sorted(busy)),
            tuple(sorted(by_id.get(market_id, market_id) for market_id in busy)),
        )

    def _holds(self, item: Located, survey: Survey) -> bool:
        target, contract, mechanism = item
        if not at_target(target, self._surveyor.state(survey, contract, mechanism)):
            return False
        self._memory.touch(target.pair, self._clock())
        return True

    def _reread(self, target: PairTarget) -> PairResult:
        with self._work:
            located, failed = self._locate([target])
            if failed:
                self._memory.record(failed.values())
                return failed[target.pair]
            survey = Survey(Exposure(), account_mode=self._account_mode)
            try:
                holds = self._holds(located[0], survey)
            except ccxt.BaseError as error:
                result = self._pass.failed(target, located[0][2], classify(error), 0)
                self._memory.record([result])
                return result
        if holds:
            return self._memory.get(target.pair) or self.prepare([target])[0]
        return self.prepare([target])[0]
