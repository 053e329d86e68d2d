"""
One pass over some pairs: locate them (contract and mechanism), survey the account in bulk,
decide with the one pure ``decide()``, run the account-wide step, then each pair's writes.
Holds no memory of results: :class:`~freqtrade_bybit_margin.service.MarginService` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from functools import cached_property
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.account import account_type
from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.markets import Contract, contract_of, mechanism_for
from freqtrade_bybit_margin.model import (
    AccountType,
    Failure,
    FailureKind,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)
from freqtrade_bybit_margin.service.account_mode import AccountModeStep
from freqtrade_bybit_margin.service.calls import Caller, RetryPolicy
from freqtrade_bybit_margin.service.contention import ACCOUNT, Contention, Contest
from freqtrade_bybit_margin.service.key_check import KeyCheck
from freqtrade_bybit_margin.service.outcomes import PairPass
from freqtrade_bybit_margin.service.over_max import (
    Clamp,
    OverMaxPass,
    OverMaxRule,
    market_maximum,
)
from freqtrade_bybit_margin.service.pacing import Pacer, limits_for
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    Located,
    at_target,
)
from freqtrade_bybit_margin.service.position_mode import contention_key
from freqtrade_bybit_margin.service.reader import ExchangeReader, PairState, state_of
from freqtrade_bybit_margin.service.survey import Survey, Surveyor
from freqtrade_bybit_margin.service.writer import PairWriter


__all__ = ["Engine", "Progress"]

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
        tap: HeaderTap | None,
        max_workers: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_account_change: Callable[[str], None] | None = None,
        contention: Contention | None = None,
        on_contest: Callable[[Contest], None] | None = None,
        on_pause: Callable[[str], None] | None = None,
        clamp_over_max: bool = False,
        on_clamp: Callable[[Clamp], None] | None = None,
    ) -> None:
        self._exchange = exchange
        self._clock = clock
        self._max_workers = max(1, max_workers)
        self._pacer = pacer or Pacer(clock=clock, sleep=sleep, on_pause=on_pause)
        self._call = Caller(exchange, self._pacer, retry, tap=tap, clock=clock, sleep=sleep)
        self._reader = ExchangeReader(self._call)
        self.contention = contention or Contention()
        self._on_contest = on_contest
        self._surveyor = Surveyor(self._reader, clock=clock, observe=self._observe)
        self._account = AccountModeStep(self._call, self.contention, clock, on_account_change)
        self.outcomes = PairPass(self._surveyor, PairWriter(self._call), self.contention, clock)
        self.over_max = OverMaxRule(
            clamp=clamp_over_max,
            market_max=lambda pair: market_maximum(exchange, pair),
            clock=clock,
            on_clamp=on_clamp,
        )
        self._passes = OverMaxPass(self.outcomes, self.over_max)
        self._reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bybit-margin-read")
        self.account_mode: str | None = None
        """The unified account's ``marginMode`` as last read."""
        self.keys = KeyCheck(exchange, self._call, lambda: self.account_type, clock)

    def own(self, thunk: Callable[[], Any]) -> Any:
        """One of ccxt's own requests (not paced here), held during an IP ban's pause."""
        return self._call.own(thunk)

    # -- account ----------------------------------------------------------------------------

    @cached_property
    def account_type(self) -> AccountType:
        """Classic / UTA1.0 / UTA2.0 (THE account typing; no request once ccxt probed)."""
        typed: AccountType = self._call.own(lambda: account_type(self._exchange))
        self._pacer.set_limits(limits_for(typed))
        return typed

    @property
    def paused_until(self) -> float | None:
        """Unix time when an IP ban's pause ends; None when requests are not paused."""
        return self._pacer.paused_until

    def contract(self, pair: str) -> Contract:
        """``pair`` as Bybit's margin endpoints see it (markets loaded on first use)."""
        if not self._exchange.markets:
            self._call.own(self._exchange.load_markets)
        return contract_of(self._exchange.market(pair))

    def mechanism_for(self, pair: str) -> Mechanism:
        """The mechanism Bybit serves for ``pair`` on this account."""
        return mechanism_for(self.account_type, self.contract(pair))

    def locate(self, target: PairTarget) -> Located:
        """``target`` with its contract and mechanism.

        :raise ccxt.BaseError: not a contract market, or the account could not be typed
        """
        contract = self.contract(target.pair)
        return Located(target, contract, mechanism_for(self.account_type, contract))

    def locate_all(
        self, targets: Sequence[PairTarget]
    ) -> tuple[list[Located], dict[str, PairResult]]:
        """Every target located; those that cannot be become FAILED results."""
        located: list[Located] = []
        failed: dict[str, PairResult] = {}
        for target in targets:
            try:
                located.append(self.locate(target))
            except ccxt.BaseError as error:
                failed[target.pair] = self.outcomes.failed(
                    target, Mechanism.SWITCH_ISOLATED, classify(error)
                )
        return located, failed

    def survey(self, located: Sequence[Located]) -> Survey:
        survey = self._surveyor.survey([(item.contract, item.mechanism) for item in located])
        self._account_mode_read(survey.account_mode)
        return survey

    def read_now(self, item: Located) -> PairState | None:
        """
        The entry proof's read: the pair's row (``position/list?symbol=``: its leverage, and
        its ``tradeMode`` on Classic) and, for an account-mode pair, the account's margin mode
        (``account/info``), sent concurrently: one round trip.

        :return: None when Bybit's answer has no row for the symbol
        :raise ccxt.BaseError: a read failed
        """
        row_read = self._reads.submit(self._reader.position_row, item.contract)
        mode: str | None = None
        if item.mechanism is Mechanism.ACCOUNT_MODE:
            mode = self._reader.account_margin_mode()
            self._account_mode_read(mode)
        row = row_read.result()
        if row is None:
            return None
        state = state_of(item.contract, item.mechanism, row, 0, mode)
        self._surveyor.observed(item.contract, state)
        return state

    def check(self, target: PairTarget, own_position: bool) -> PairResult:
        """The entry proof's requests: one round trip of reads (:meth:`read_now`), then the
        writes of what differs; a setting another client contests is not read or written."""
        try:
            item = self.locate(target)
        except ccxt.BaseError as error:
            return self.outcomes.failed(target, Mechanism.SWITCH_ISOLATED, classify(error))
        contest = self.contention.blocks(item.pair, self._clock())
        if contest is None and item.mechanism is Mechanism.ACCOUNT_MODE:
            contest = self.contention.blocks(ACCOUNT, self._clock())
        if contest is not None:
            failure = Failure(FailureKind.CONTESTED, contest.reason)
            return self.outcomes.failed(target, item.mechanism, failure)
        checked = item if own_position else self.over_max.before(item)
        if isinstance(checked, Failure):  # above the market's maximum, over_max: block
            return self.outcomes.failed(target, item.mechanism, checked)
        try:
            state = self.read_now(item)
        except ccxt.BaseError as error:
            return self.outcomes.failed(target, item.mechanism, classify(error))
        if at_target(target, state):
            return self.outcomes.result(item, Outcome.UNCHANGED, True)
        read = {item.contract.market_id: state} if state is not None else None
        return self.prepare([item], None, None, own_position=own_position, read=read)[target.pair]

    def account_plan(self, located: Sequence[Located], survey: Survey) -> AccountModePlan | None:
        """The account-wide step (the whole account read first when it would switch one)."""
        return self._account.plan(located, survey, lambda: self.account_type)

    def prepare(
        self,
        located: Sequence[Located],
        survey: Survey | None,
        progress: Progress | None,
        *,
        own_position: bool = False,
        read: Mapping[str, PairState] | None = None,
    ) -> dict[str, PairResult]:
        """
        Bring ``located`` to their targets: survey (unless given), the account-wide step, then
        each pair's read -> decide -> write, concurrently.

        :param own_position: the pairs' open positions are the bot's own trades, whose leverage
            may be set back (see :func:`~.planning.decide`)
        :param read: pair states read a moment ago, by market id (not read again; the survey's
            open orders are added)
        """
        if not located:
            return {}
        if survey is None:
            try:
                survey = self.survey(located)
            except ccxt.BaseError as error:
                return self.outcomes.unreadable(located, classify(error))
        for market_id, state in (read or {}).items():
            orders = survey.exposure.open_orders.get(market_id, 0)
            survey.known[market_id] = replace(state, open_orders=orders)
        account = self.account_plan(located, survey)
        account_failure, _ = self._account.run(account)
        results: dict[str, PairResult] = {}
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            futures = [
                pool.submit(self._passes.run, item, survey, account, account_failure, own_position)
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
            return self._surveyor.state(survey, item.contract, item.mechanism)

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
            state or PairState(item.pair, None, None)
            for item, state in zip(located, states, strict=True)
        ]
        busy = set(survey.exposure.positions) | set(survey.exposure.open_orders)
        by_id = {item.contract.market_id: item.pair for item in located}
        return AccountStatus(
            self.account_type,
            survey.account_mode,
            pairs,
            tuple(sorted(busy)),
            tuple(sorted(by_id.get(market_id, market_id) for market_id in busy)),
        )

    def _observe(self, contract: Contract, state: PairState) -> None:
        self._contested(self.contention.seen(contract.pair, state.leverage, self._clock()))
        mode = contention_key(contract.pair)  # only once the bot switched it to one-way
        self._contested(self.contention.seen(mode, state.position_mode, self._clock()))

    def _account_mode_read(self, mode: str | None) -> None:
        if mode is None:
            return
        self.account_mode = mode
        self._contested(self.contention.seen(ACCOUNT, mode, self._clock()))

    def _contested(self, contest: Contest | None) -> None:
        if contest is not None and self._on_contest is not None:
            self._on_contest(contest)

    def holds(self, item: Located, survey: Survey) -> bool:
        """The pair is at its target now (one read unless the survey covers it)."""
        return at_target(item.target, self._surveyor.state(survey, item.contract, item.mechanism))
