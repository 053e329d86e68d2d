"""
Bring a set of pairs to their target margin mode and leverage, with the mechanism the account
supports and as few requests as possible.

- Classic (linear + inverse) and UTA1.0 inverse: ``switch-isolated`` per pair, mode and leverage
  in one call (plus ``set-leverage`` only when the mode already held, since Bybit then changes
  nothing): https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate
- UTA2.0 (and UTA1.0 linear): the account-wide margin mode once, only when it differs
  (https://bybit-exchange.github.io/docs/v5/account/set-margin-mode), then ``set-leverage`` per
  pair (https://bybit-exchange.github.io/docs/v5/position/leverage).

"Not modified" answers (110026, 110043) are success. Pairs with an open position or order are
never switched. No freqtrade import here: the mixin, the CLI and the benchmarks share it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar

import ccxt

from freqtrade_bybit_margin.ccxt_ext import account_type_of, serves_switch_isolated
from freqtrade_bybit_margin.ccxt_ext import switch_margin_mode as switch_one
from freqtrade_bybit_margin.constants import Category, Endpoint
from freqtrade_bybit_margin.model import (
    AccountType,
    MarginMode,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)
from freqtrade_bybit_margin.service.classify import Failure, classify, is_not_modified
from freqtrade_bybit_margin.service.pacing import Pacer
from freqtrade_bybit_margin.service.reader import (
    ExchangeReader,
    Exposure,
    PairState,
    margin_mode_of_account,
    margin_mode_of_trade_mode,
)


logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential back-off for retryable failures.

    :param attempts: tries in all, the first included
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class Action(StrEnum):
    """What :meth:`MarginService.plan` would do for a pair."""

    NONE = "none"
    SWITCH = "switch"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class PairPlan:
    target: PairTarget
    mechanism: Mechanism
    state: PairState
    action: Action
    reason: str = ""


@dataclass(frozen=True)
class AccountStatus:
    """Account type, account-wide margin mode (unified accounts) and per-pair state."""

    account_type: AccountType
    account_margin_mode: str | None
    pairs: list[PairState]
    busy_symbols: tuple[str, ...] = ()
    """Market ids with an open position or order anywhere in the pairs' settle groups."""


@dataclass(frozen=True)
class _AccountStep:
    """Outcome of the account-wide margin-mode step for one target mode."""

    failure: str = ""
    retryable: bool = False
    error: str | None = None
    requests: int = 0


class _Counter:
    def __init__(self) -> None:
        self.sent = 0


class MarginService:
    """Prepares pairs on one sync ``ccxt.bybit`` instance and remembers what it confirmed.

    :param exchange: sync ``ccxt.bybit`` with credentials (freqtrade's own in the bot)
    :param max_workers: pairs prepared concurrently; pacing keeps every endpoint under
        Bybit's per-UID limit whatever this is
    :param account_mode_ttl: seconds a confirmed account-wide margin mode is trusted
    """

    def __init__(
        self,
        exchange: Any,
        *,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        max_workers: int = 4,
        account_mode_ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._exchange = exchange
        self._retry = retry or RetryPolicy()
        self._pacer = pacer or Pacer()
        self._max_workers = max(1, max_workers)
        self._account_mode_ttl = account_mode_ttl
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._results: dict[str, PairResult] = {}
        self._account_mode: tuple[MarginMode, float] | None = None
        self._symbol_info_served = True
        self._reader = ExchangeReader(exchange, self._call)

    # -- account ----------------------------------------------------------------------------

    @cached_property
    def account_type(self) -> AccountType:
        """Classic / UTA1.0 / UTA2.0 from ccxt's cached probe (no request if already probed)."""
        self._exchange.is_unified_enabled()
        return account_type_of(self._exchange.options)

    def mechanism_for(self, pair: str) -> Mechanism:
        """The mechanism Bybit serves for ``pair`` on this account."""
        if serves_switch_isolated(self.account_type, self._category(pair)):
            return Mechanism.SWITCH_ISOLATED
        return Mechanism.ACCOUNT_MODE

    # -- memory -----------------------------------------------------------------------------

    def result_for(self, pair: str) -> PairResult | None:
        """The last result for ``pair``; no request."""
        with self._lock:
            return self._results.get(pair)

    def is_confirmed(self, target: PairTarget) -> bool:
        """True if ``target`` was confirmed by the last preparation of its pair; no request."""
        result = self.result_for(target.pair)
        return result is not None and result.confirmed and result.target == target

    # -- preparing --------------------------------------------------------------------------

    def prepare(self, targets: Sequence[PairTarget]) -> list[PairResult]:
        """Bring every target pair to its mode and leverage; one result per target, in order.

        Per-pair failures become FAILED results; nothing is raised for them.
        """
        unique = list({target.pair: target for target in targets}.values())
        results: dict[str, PairResult] = {}
        planned: list[tuple[PairTarget, Mechanism, str]] = []
        for target in unique:
            try:
                planned.append(
                    (target, self.mechanism_for(target.pair), self._category(target.pair))
                )
            except ccxt.BaseError as error:
                results[target.pair] = self._failed(
                    target, Mechanism.SWITCH_ISOLATED, classify(error), 0
                )
        try:
            exposure = self._reader.exposure(self._groups(t.pair for t, _, _ in planned))
        except ccxt.BaseError as error:
            failure = classify(error)
            reason = f"could not read open positions/orders, not switching: {failure.reason}"
            failure = replace(failure, reason=reason)
            for target, mechanism, _ in planned:
                results[target.pair] = self._failed(target, mechanism, failure, 0)
            planned = []
            exposure = Exposure()

        steps = self._account_steps(
            {t.margin_mode for t, m, _ in planned if m is Mechanism.ACCOUNT_MODE}, exposure
        )
        current = self._current_leverages(
            [(t, c) for t, m, c in planned if m is Mechanism.ACCOUNT_MODE], exposure
        )
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            futures = {
                target.pair: pool.submit(
                    self._prepare_pair, target, mechanism, category, exposure, steps, current
                )
                for target, mechanism, category in planned
            }
            for pair, future in futures.items():
                results[pair] = future.result()
        with self._lock:
            self._results.update(results)
        return [results[target.pair] for target in unique]

    def _prepare_pair(
        self,
        target: PairTarget,
        mechanism: Mechanism,
        category: str,
        exposure: Exposure,
        steps: dict[MarginMode, _AccountStep],
        current: dict[str, set[float]],
    ) -> PairResult:
        counter = _Counter()
        market_id = self._market_id(target.pair)
        try:
            step = steps.get(target.margin_mode)
            if market_id in exposure.positions or market_id in exposure.open_orders:
                known = None
                if mechanism is Mechanism.ACCOUNT_MODE and step is not None and not step.failure:
                    known = target.margin_mode.account_margin_mode.value
                return self._skipped(target, mechanism, category, exposure, counter, known)
            if mechanism is Mechanism.ACCOUNT_MODE and step is not None and step.failure:
                failure = Failure(step.error or "ExchangeError", None, step.retryable, step.failure)
                return self._failed(target, mechanism, failure, 0)
            if current.get(market_id) == {float(target.leverage)}:
                # Bybit reported this leverage a moment ago, and the account mode holds.
                return self._result(target, mechanism, Outcome.UNCHANGED, True)
            changed = False
            if mechanism is Mechanism.SWITCH_ISOLATED:
                answer = self._call(
                    Endpoint.SWITCH_ISOLATED,
                    lambda: switch_one(
                        self._exchange,
                        target.margin_mode.value,
                        target.pair,
                        {"leverage": target.leverage},
                    ),
                    counter,
                )
                changed = bool(answer["changed"])
            if not changed:
                # Bybit changes nothing on switch-isolated when the mode already holds, so the
                # leverage is set on its own (110043 when it already holds too).
                changed = self._set_leverage(target, counter)
            outcome = Outcome.CHANGED if changed else Outcome.UNCHANGED
            return self._result(target, mechanism, outcome, True, requests=counter.sent)
        except ccxt.BaseError as error:
            return self._failed(target, mechanism, classify(error), counter.sent)

    def _set_leverage(self, target: PairTarget, counter: _Counter) -> bool:
        try:
            self._call(
                Endpoint.SET_LEVERAGE,
                lambda: self._exchange.set_leverage(target.leverage, target.pair),
                counter,
            )
        except ccxt.BaseError as error:
            if is_not_modified(error):
                return False
            raise
        return True

    def _skipped(
        self,
        target: PairTarget,
        mechanism: Mechanism,
        category: str,
        exposure: Exposure,
        counter: _Counter,
        account_mode: str | None,
    ) -> PairResult:
        market_id = self._market_id(target.pair)
        row = exposure.positions.get(market_id) or self._reader.position_row(category, market_id)
        state = self._state_from_row(
            target.pair, mechanism, row, exposure.open_orders, account_mode
        )
        confirmed = state.margin_mode is target.margin_mode and state.leverage == target.leverage
        now = (
            f"now {state.margin_mode or 'unknown mode'} {state.leverage or '?'}x"
            if not confirmed
            else "already at target"
        )
        return self._result(
            target,
            mechanism,
            Outcome.SKIPPED,
            confirmed,
            reason=f"{state.busy_reason}; left as it is ({now})",
            requests=counter.sent,
        )

    def _current_leverages(
        self, pairs: list[tuple[PairTarget, str]], exposure: Exposure
    ) -> dict[str, set[float]]:
        """Leverage of every symbol in one read per category, so that a restart where all
        holds costs one request instead of one per pair. Worth it from two pairs on; on any
        failure the pairs are simply written (and the read is not tried again)."""
        free = [(t, c) for t, c in pairs if self._market_id(t.pair) not in exposure.positions]
        if len(free) < 2 or not self._symbol_info_served:
            return {}
        found: dict[str, set[float]] = {}
        for category in sorted({category for _, category in free}):
            try:
                found.update(self._reader.leverages(category))
            except ccxt.BaseError as error:
                self._symbol_info_served = False
                logger.info(
                    "Reading leverages at once is not available (%s).", classify(error).reason
                )
                return {}
        return found

    # -- the account-wide step (UTA) -----------------------------------------------------------

    def _account_steps(
        self, modes: set[MarginMode], exposure: Exposure
    ) -> dict[MarginMode, _AccountStep]:
        if len(modes) > 1:
            reason = "unified accounts have one account-wide margin mode; targets ask for " + (
                " and ".join(sorted(modes))
            )
            return {mode: _AccountStep(failure=reason, error="BadRequest") for mode in modes}
        return {mode: self._ensure_account_mode(mode, exposure) for mode in modes}

    def _ensure_account_mode(self, mode: MarginMode, exposure: Exposure) -> _AccountStep:
        cached = self._account_mode
        if cached and cached[0] is mode and self._clock() - cached[1] < self._account_mode_ttl:
            return _AccountStep()
        counter = _Counter()
        try:
            current = self._reader.account_margin_mode()
            if margin_mode_of_account(current) is mode:
                self._account_mode = (mode, self._clock())
                return _AccountStep()
            if exposure.any_open:
                return _AccountStep(
                    failure=(
                        f"account margin mode is {current}, target {mode.account_margin_mode}; "
                        "it is account-wide and cannot change while positions or orders are "
                        f"open ({exposure.describe()})"
                    ),
                    error="OperationRejected",
                )
            self._call(
                Endpoint.SET_MARGIN_MODE,
                lambda: self._exchange.set_margin_mode(mode.value),
                counter,
            )
        except ccxt.BaseError as error:
            failure = classify(error)
            return _AccountStep(
                f"account margin mode: {failure.reason}",
                failure.retryable,
                failure.error,
                counter.sent,
            )
        logger.info("Bybit account margin mode set to %s.", mode.account_margin_mode)
        self._account_mode = (mode, self._clock())
        return _AccountStep(requests=counter.sent)

    # -- read-only views for the CLI --------------------------------------------------------

    def status(self, pairs: Sequence[str]) -> AccountStatus:
        """Account type, account margin mode and each pair's current settings. Read-only."""
        account_mode = (
            self._reader.account_margin_mode()
            if self.account_type is not AccountType.CLASSIC
            else None
        )
        exposure = self._reader.exposure(self._groups(pairs))
        states = []
        for pair in pairs:
            market_id = self._market_id(pair)
            row = exposure.positions.get(market_id) or self._reader.position_row(
                self._category(pair), market_id
            )
            mechanism = self.mechanism_for(pair)
            state = self._state_from_row(pair, mechanism, row, exposure.open_orders, account_mode)
            states.append(state)
        busy = tuple(sorted(set(exposure.positions) | set(exposure.open_orders)))
        return AccountStatus(self.account_type, account_mode, states, busy)

    def plan(self, targets: Sequence[PairTarget]) -> tuple[AccountStatus, list[PairPlan]]:
        """What :meth:`prepare` would do, from the exchange's current answers. Read-only."""
        status = self.status([target.pair for target in targets])
        busy_account = bool(status.busy_symbols)
        plans = []
        for target, state in zip(targets, status.pairs, strict=True):
            mechanism = self.mechanism_for(target.pair)
            at_target = (
                state.margin_mode is target.margin_mode and state.leverage == target.leverage
            )
            if at_target:
                plans.append(PairPlan(target, mechanism, state, Action.NONE))
            elif state.busy:
                plans.append(PairPlan(target, mechanism, state, Action.BLOCKED, state.busy_reason))
            elif (
                mechanism is Mechanism.ACCOUNT_MODE
                and state.margin_mode is not target.margin_mode
                and busy_account
            ):
                reason = "account-wide margin mode cannot change while positions/orders are open"
                plans.append(PairPlan(target, mechanism, state, Action.BLOCKED, reason))
            else:
                plans.append(PairPlan(target, mechanism, state, Action.SWITCH))
        return status, plans

    # -- helpers ----------------------------------------------------------------------------

    def _state_from_row(
        self,
        pair: str,
        mechanism: Mechanism,
        row: dict[str, Any],
        open_orders: dict[str, int],
        account_mode: str | None = None,
    ) -> PairState:
        if mechanism is Mechanism.SWITCH_ISOLATED:
            mode = margin_mode_of_trade_mode(row.get("tradeMode"))
        else:
            if account_mode is None:
                account_mode = self._reader.account_margin_mode()
            mode = margin_mode_of_account(account_mode)
        leverage = row.get("leverage")
        size = float(row.get("size") or 0)
        return PairState(
            pair=pair,
            margin_mode=mode,
            leverage=float(leverage) if leverage not in (None, "") else None,
            position_side=str(row.get("side") or "") if size > 0 else "",
            position_size=size,
            open_orders=open_orders.get(self._market_id(pair), 0),
        )

    def _call(self, endpoint: str, thunk: Callable[[], T], counter: _Counter | None = None) -> T:
        """Run one request under pacing, retrying retryable failures with back-off."""
        attempt = 0
        while True:
            attempt += 1
            if counter is not None:
                counter.sent += 1
            try:
                with self._pacer.slot(endpoint):
                    return thunk()
            except ccxt.BaseError as error:
                if is_not_modified(error) or attempt >= self._retry.attempts:
                    raise
                failure = classify(error)
                if not failure.retryable:
                    raise
                delay = self._retry.delay(attempt)
                logger.info("%s: %s; retrying in %.2f s", endpoint, failure.reason, delay)
                self._sleep(delay)

    def _market(self, pair: str) -> dict[str, Any]:
        if not self._exchange.markets:
            self._exchange.load_markets()
        market: dict[str, Any] = self._exchange.market(pair)
        return market

    def _market_id(self, pair: str) -> str:
        return str(self._market(pair)["id"])

    def _category(self, pair: str) -> str:
        market = self._market(pair)
        if market.get("contract") and market.get("linear"):
            return Category.LINEAR.value
        if market.get("contract") and market.get("inverse"):
            return Category.INVERSE.value
        raise ccxt.NotSupported(f"{pair} is not a linear or inverse contract market")

    def _groups(self, pairs: Iterable[str]) -> set[tuple[str, str]]:
        return {(self._category(pair), str(self._market(pair)["settle"])) for pair in pairs}

    def _result(
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

    def _failed(
        self, target: PairTarget, mechanism: Mechanism, failure: Failure, requests: int
    ) -> PairResult:
        return self._result(
            target,
            mechanism,
            Outcome.FAILED,
            False,
            reason=failure.reason,
            requests=requests,
            failure=failure,
        )
