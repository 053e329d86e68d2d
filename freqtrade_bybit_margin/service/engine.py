"""
One pass over some pairs: locate them (contract and mechanism), survey the account in bulk,
decide with the one pure ``decide()``, run the account-wide step, then each pair's writes.
Holds no memory of results: :class:`~freqtrade_bybit_margin.service.MarginService` does.
"""

from __future__ import annotations

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
    Mechanism,
    PairResult,
    PairTarget,
    account_type_from_status,
)
from freqtrade_bybit_margin.service.account_mode import AccountModeStep
from freqtrade_bybit_margin.service.calls import Caller, RetryPolicy
from freqtrade_bybit_margin.service.classify import classify
from freqtrade_bybit_margin.service.outcomes import Located, PairPass
from freqtrade_bybit_margin.service.pacing import Pacer, limits_for
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    at_target,
    decide_account,
)
from freqtrade_bybit_margin.service.reader import ExchangeReader, PairState
from freqtrade_bybit_margin.service.survey import Survey, Surveyor
from freqtrade_bybit_margin.service.writer import PairWriter


__all__ = ["Engine", "Progress"]

#: Seconds an ``account/info`` answer stands in for the next pass's own read.
_FRESH = 2.0

#: ``progress(phase, done, total)``; phase ``"read"`` or ``"write"``.
Progress = Callable[[str, int, int], None]


class Engine:
    """The request side of the service, on one sync ``ccxt.bybit`` instance (markets loaded)."""

    def __init__(
        self,
        exchange: Any,
        *,
        retry: RetryPolicy,
        pacer: Pacer | None,
        max_workers: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_account_change: Callable[[str], None] | None = None,
    ) -> None:
        self._exchange = exchange
        self._clock = clock
        self._max_workers = max(1, max_workers)
        self._pacer = pacer or Pacer(clock=clock, sleep=sleep)
        self._call = Caller(exchange, self._pacer, retry, clock=clock, sleep=sleep)
        self._reader = ExchangeReader(self._call)
        self._surveyor = Surveyor(self._reader)
        self._account = AccountModeStep(self._call, on_account_change)
        self.outcomes = PairPass(self._surveyor, PairWriter(exchange, self._call), clock)
        self._account_info: tuple[float, str] | None = None
        self.account_mode: str | None = None
        """The unified account's ``marginMode`` as last read."""

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

    def locate(self, targets: Sequence[PairTarget]) -> tuple[list[Located], dict[str, PairResult]]:
        located: list[Located] = []
        failed: dict[str, PairResult] = {}
        for target in targets:
            try:
                located.append(
                    (target, self.contract(target.pair), self.mechanism_for(target.pair))
                )
            except ccxt.BaseError as error:
                failed[target.pair] = self.outcomes.failed(
                    target, Mechanism.SWITCH_ISOLATED, classify(error), 0
                )
        return located, failed

    def survey(self, located: Sequence[Located]) -> Survey:
        known = self._account_info
        fresh = known[1] if known and self._clock() - known[0] < _FRESH else None
        self._account_info = None
        survey = self._surveyor.survey([(c, m) for _, c, m in located], fresh)
        if survey.account_mode is not None:
            self.account_mode = survey.account_mode
        return survey

    def account_plan(self, located: Sequence[Located], survey: Survey) -> AccountModePlan | None:
        modes = [t.margin_mode for t, _, m in located if m is Mechanism.ACCOUNT_MODE]
        return decide_account(modes, survey.account_mode, survey.exposure)

    def prepare(
        self, located: Sequence[Located], survey: Survey | None, progress: Progress | None
    ) -> dict[str, PairResult]:
        if not located:
            return {}
        if survey is None:
            try:
                survey = self.survey(located)
            except ccxt.BaseError as error:
                return self.outcomes.unreadable(located, classify(error))
        account = self.account_plan(located, survey)
        account_failure, _ = self._account.run(account)
        results: dict[str, PairResult] = {}
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            futures = [
                pool.submit(self.outcomes.run, item, survey, account, account_failure)
                for item in located
            ]
            for done, future in enumerate(as_completed(futures), start=1):
                result = future.result()
                results[result.pair] = result
                if progress is not None:
                    progress("write", done, len(futures))
        return results

    def states(
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

    def status_of(
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

    def holds(self, item: Located, survey: Survey) -> bool:
        """The pair is at its target now (one read unless the survey covers it)."""
        target, contract, mechanism = item
        return at_target(target, self._surveyor.state(survey, contract, mechanism))
