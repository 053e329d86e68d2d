"""
Bring a set of pairs to their target margin mode and leverage, with the mechanism the account
supports and as few requests as possible, and keep them there.

Every pass reads first, in bulk where Bybit allows it (``survey.py``), decides with the one pure
``decide()`` (``planning.py``) and writes only what differs (``writer.py``): a restart where
everything holds writes nothing. Only a parsed Bybit answer or a read confirms a pair, and a
confirmation proves an entry only while it is fresh (:meth:`MarginService.ensure`). Pairs with
an open position or order are never switched; a setting another client keeps changing back is
not written again (``contention.py``). No freqtrade import: the mixin, the CLI and the
benchmarks share it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.markets import Contract
from freqtrade_bybit_margin.model import (
    AccountType,
    Failure,
    FailureKind,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)
from freqtrade_bybit_margin.service.calls import RetryPolicy
from freqtrade_bybit_margin.service.contention import ACCOUNT, Contention, Contest
from freqtrade_bybit_margin.service.engine import Engine, Progress
from freqtrade_bybit_margin.service.key_check import KeyReport
from freqtrade_bybit_margin.service.maintenance import Maintenance, Mismatch, reconcile
from freqtrade_bybit_margin.service.memory import Backoff, Memory
from freqtrade_bybit_margin.service.over_max import Clamp, OverMaxRule
from freqtrade_bybit_margin.service.pacing import Pacer
from freqtrade_bybit_margin.service.planning import (
    AccountStatus,
    Located,
    Plan,
    at_target,
)
from freqtrade_bybit_margin.service.views import Views


__all__ = ["Maintenance", "MarginService", "Mismatch", "Progress", "RetryPolicy"]

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
    :param contention_window: seconds within which a setting changed away twice from the
        plugin's write counts as contested (a few verify intervals); then ``on_contest`` once
    :param on_pause: called once per IP ban with a one-line announcement naming when requests
        resume (ignored with a ``pacer`` of the caller's: that one announces its own)
    :param clamp_over_max: ``over_max: clamp`` (False: ``block``; see :mod:`.over_max`), with
        ``on_clamp`` called once per pair and maximum when a pair is clamped
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
        contention_window: float = 180.0,
        on_contest: Callable[[Contest], None] | None = None,
        on_pause: Callable[[str], None] | None = None,
        clamp_over_max: bool = False,
        on_clamp: Callable[[Clamp], None] | None = None,
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
            contention=Contention(contention_window),
            on_contest=on_contest,
            on_pause=on_pause,
            clamp_over_max=clamp_over_max,
            on_clamp=on_clamp,
        )
        self.over_max: OverMaxRule = self._engine.over_max  # allowed(target): what to ask for
        self.own: Callable[[Callable[[], Any]], Any] = self._engine.own  # held by an IP ban
        self._memory = Memory(backoff or Backoff(), lambda: self._engine.paused_until)
        self._views = Views(self._engine, clock)
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

    def check_key(self, *, fresh: bool = False) -> KeyReport:
        """The key preflight (:meth:`.key_check.KeyCheck.check`); never raises."""
        return self._engine.keys.check(fresh=fresh)

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
        self,
        targets: Sequence[PairTarget],
        progress: Progress | None = None,
        *,
        plan: Plan | None = None,
    ) -> list[PairResult]:
        """
        Bring every target pair to its mode and leverage; one result per target, in order.

        Per-pair failures become FAILED results (retried later by :meth:`maintain`).
        :param plan: a :meth:`plan` of these targets: its reads are reused when it is at most
            :data:`~freqtrade_bybit_margin.service.views.PLAN_REUSE_S` old; older, only the
            pairs it would write are read again
        """
        with self._work:
            unique = list({target.pair: target for target in targets}.values())
            located, results = self._engine.locate_all(unique)
            survey = self._views.reused(plan, located) if plan is not None else None
            results.update(self._engine.prepare(located, survey, progress))
            self._memory.record(results.values())
            return [results[target.pair] for target in unique]

    def ensure(
        self, target: PairTarget, *, max_age: float, own_position: bool = False
    ) -> PairResult:
        """
        THE entry proof: is ``target`` confirmed by Bybit's word no older than ``max_age``?

        Confirmed that recently (a read, or a write Bybit answered): no request. Otherwise one
        round trip of reads (the pair's row and, on unified accounts, the account's margin
        mode, concurrently); what differs is then written. A pair whose last failure is backing
        off, or a setting another client keeps changing, is answered from memory.
        :param own_position: an order of the bot's own open trade asks for the trade's leverage:
            it may be set back under that position, and no back-off applies
        """
        now = self._clock()
        last = self._memory.get(target.pair)
        if last is not None and last.confirms(target, now, max_age):
            return last
        if (
            last is not None
            and not last.confirmed
            and last.target == target
            and not own_position
            and not self._memory.retry_due(target.pair, now)
        ):
            return last  # its last failure is backing off
        with self._work:
            return self._remember(self._engine.check(target, own_position))

    def maintain(
        self,
        targets: Sequence[PairTarget],
        *,
        verify_interval: float,
        max_requests: int = 20,
        held: Mapping[str, PairTarget] | None = None,
    ) -> Maintenance:
        """
        One bounded slice of background work.

        Prepares targets never prepared (late joiners) and pairs whose retry came, then re-reads
        pairs older than ``verify_interval`` (at most ``max_requests`` pairs each): drifted flat
        pairs are prepared again; a pair held by an open trade is compared with the trade's own
        settings (``held``), never written, and a mismatch is reported.
        :param held: pair -> the margin mode and leverage its open trade was opened with
        :return: the results whose confirmation changed, and the open trades found off
        """
        now = self._clock()
        held = dict(held or {})
        targets = [held.get(t.pair, t) for t in targets]
        memory = self._memory
        recheck = set(self._engine.contention.due(now))
        due, stale = memory.due(targets, now, verify_interval, held=held, recheck=recheck)
        if ACCOUNT in recheck and not stale and targets:
            stale = [targets[0]]  # any read of an account-mode pair reads the account's mode
        done = Maintenance()
        if due:
            before = {t.pair: memory.get(t.pair) for t in due}
            for result in self.prepare(due[:max_requests]):
                last = before[result.pair]
                if last is None or (last.confirmed, last.target) != (
                    result.confirmed,
                    result.target,
                ):
                    done.changed.append(result)
        if stale:
            done.extend(self.verify(stale[:max_requests], held=held))
        return done

    def verify(
        self, targets: Sequence[PairTarget], *, held: Mapping[str, PairTarget] | None = None
    ) -> Maintenance:
        """
        Re-read pairs in bulk; re-prepare flat ones that drifted; compare held ones with their
        trade. A pair whose state cannot be read keeps its confirmation until :meth:`ensure`
        reads it.
        """
        held = held or {}
        with self._work:
            located, failed = self._engine.locate_all(targets)
            self._memory.record(failed.values())
            done = Maintenance(list(failed.values()))
            try:
                survey = self._engine.survey(located)
                states = self._engine.states(located, survey, None)
            except ccxt.BaseError as error:
                logger.info(
                    "Bybit margin: re-reading %d pairs failed (%s); each is read again before "
                    "its next entry.",
                    len(located),
                    classify(error).reason,
                )
                return done
            drifted: list[Located] = []
            for item, state in zip(located, states, strict=True):
                if at_target(item.target, state):
                    self._memory.record(
                        [self._engine.outcomes.result(item, Outcome.UNCHANGED, True)]
                    )
                elif item.pair in held and state is not None:
                    done.mismatches.append(self._mismatch(item, state))
                else:
                    drifted.append(item)
            results = self._engine.prepare(drifted, survey, None)
            self._memory.record(results.values())
            done.drifted.extend(results.values())
            return done

    # -- read-only views for the CLI --------------------------------------------------------

    def status(
        self, targets: Sequence[PairTarget], progress: Progress | None = None
    ) -> AccountStatus:
        """Account type, account margin mode and each pair's current settings. Read-only."""
        return self._views.status(targets, progress)

    def plan(self, targets: Sequence[PairTarget], progress: Progress | None = None) -> Plan:
        """What :meth:`prepare` would do, from the exchange's current answers. Read-only."""
        return self._views.plan(targets, progress)

    # -- internals --------------------------------------------------------------------------

    def _remember(self, result: PairResult) -> PairResult:
        self._memory.record([result])
        return result

    def _mismatch(self, item: Located, state: Any) -> Mismatch:
        """An open trade off its settings: remembered as not confirmed (retried as soon as the
        trade is closed), returned to be reported."""
        last = self._memory.get(item.pair)
        mismatch = reconcile(item.target, state, since=last.at if last else 0.0)
        failure = Failure(FailureKind.BLOCKED, mismatch.reason)
        result = self._engine.outcomes.result(
            item, Outcome.SKIPPED, False, reason=mismatch.reason, failure=failure
        )
        self._memory.record([result])
        self._memory.retry_now(item.pair)
        return mismatch
