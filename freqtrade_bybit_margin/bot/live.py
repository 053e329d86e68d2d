"""
Live mode on Bybit futures: the service's work at startup and in the loop, the entry gate's
verdicts, the one rule for every order (:meth:`LiveController.before_order`), and what the user
is told (log and RPC).

THE rule: an order goes out only where Bybit's state matches what freqtrade records for it.
freqtrade's ``_lev_prep`` is the one place the order's real leverage is visible (forced entries,
strategy overrides, position adjustments, replace and stoploss orders all pass through it), so
it is the enforcement point: the pair must be confirmed at the order's mode and leverage by
Bybit's word no older than ``entry_check_max_age`` (or ``verify_interval`` under
``entry_check: trust``); otherwise the service reads it (one round trip) and writes what
differs. An initial entry that cannot be confirmed is refused (``on_failure: block``); an order
of an open trade never is, but it is not sent on memory alone either.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from freqtrade.exceptions import DependencyException, OperationalException

from freqtrade_bybit_margin.bot.gate import EntryGate, LogOnce, Verdict
from freqtrade_bybit_margin.bot.internals import BotClient, OrderPrep
from freqtrade_bybit_margin.config import MarginSettings, OnFailure
from freqtrade_bybit_margin.markets import finite_decimal, fmt_leverage
from freqtrade_bybit_margin.model import FailureKind, Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.report import result_line, summary_table
from freqtrade_bybit_margin.service import Maintenance, MarginService, Mismatch, RetryPolicy
from freqtrade_bybit_margin.service.contention import ACCOUNT, Contest


__all__ = ["EntryRefused", "LiveController", "open_trades"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")

LEV_PREP_GUARDED = (
    "Bybit margin: every order is checked against Bybit's own word before it is sent "
    "(freqtrade's margin-mode and leverage calls before each order are replaced by the "
    "plugin's read, and a write only where something differs)."
)
DEFERRED = (
    "it was changed outside the bot and is set back just now; this entry waits for the next "
    "check, so that a client that changes it again is seen first"
)
#: How long a contest explains the refusals that follow from it (said at INFO meanwhile).
EXPLAINED_S = 3600.0
SHARED_UID = (
    "Bots on one Bybit UID share one position per symbol (one-way mode): give each bot its own "
    "sub-account."
)


def open_trades() -> dict[str, Decimal]:
    """Pair -> leverage of each open trade, as freqtrade records it (its public trade API)."""
    from freqtrade.persistence import Trade

    return {
        trade.pair: finite_decimal(trade.leverage) or Decimal(1)
        for trade in Trade.get_trades_proxy(is_open=True)
    }


class EntryRefused(DependencyException):  # type: ignore[misc]
    """An entry order on a pair not confirmed at the order's margin mode and leverage.

    freqtrade's ``DependencyException``: the bot logs "Unable to create trade for <pair>" and
    goes on with the next pair.
    """


class LiveController:
    """
    Live mode on Bybit futures: the service's work, the gate's verdicts, what the user is told.

    :param settings: the validated section
    :param client: the bot's exchange objects (its sync ccxt client is the service's)
    :param notify: sends a message through freqtrade's RPC
    :param say: the mixin's de-duplicating logger
    :param retry: how one request is retried after a transient failure
    """

    def __init__(
        self,
        settings: MarginSettings,
        client: BotClient,
        notify: Callable[[str], None],
        say: LogOnce,
        *,
        retry: RetryPolicy,
    ) -> None:
        self.settings = settings
        self.service = MarginService(
            client.api,
            retry=retry,
            tap=client.tap,
            on_account_change=self._account_change,
            contention_window=3 * settings.verify_interval,
            on_contest=self._contested,
            on_pause=self._paused,
        )
        self.gate = EntryGate(settings.on_failure)
        self._notify = notify
        self._say = say
        self._pinned: dict[str, Decimal] = {}
        """Leverage of the last entry, where ``max_leverage`` capped it below the target."""
        self._confirmed: set[str] = set()
        self._told: dict[str, float] = {}
        """When the user was told that another client contests a pair (or the account)."""

    def targets(self, pairs: Sequence[str]) -> list[PairTarget]:
        """The targets of ``pairs`` (at the leverage their last entry used, if it was capped)."""
        mode = self.settings.margin_mode
        return [
            PairTarget(pair, mode, self._pinned.get(pair, self.settings.leverage_for(pair)))
            for pair in pairs
        ]

    def prepare_all(self, targets: Sequence[PairTarget]) -> None:
        """
        Prepare every target (startup) and log one summary; failures also go through RPC.

        :raise OperationalException: Bybit refused the API key for every pair (stops startup:
            no pair could ever be prepared)
        """
        try:
            results = self.service.prepare(targets)
        except Exception as err:  # a bug must not stop the bot: the loop prepares them again
            message = (
                f"Bybit margin: preparing {len(targets)} pairs failed ({err!r}); they are "
                f"prepared again in the coming loops, and no entry is made on them before."
            )
            logger.exception(message)
            self._notify(message)
            return
        self._confirmed = {r.pair for r in results if r.confirmed}
        logger.info(summary_table(self._account_label(), self.settings.on_failure, results))
        refused = [r for r in results if r.failure is not None and r.failure.kind.key_refused]
        if results and len(refused) == len(results):
            raise OperationalException(
                f"Bybit margin: the API key cannot change margin settings: {refused[0].reason}"
            )
        failed = [r for r in results if not r.confirmed]
        if failed:
            verb = (
                "no entries until confirmed"
                if self.settings.on_failure is OnFailure.BLOCK
                else "entries allowed anyway (on_failure: warn)"
            )
            self._notify(
                f"Bybit margin: {len(failed)} of {len(results)} pairs not confirmed, {verb}:\n"
                + "\n".join(result_line(r) for r in failed)
            )

    def maintain(self, pairs: Sequence[str], budget: int, held: Mapping[str, Decimal]) -> None:
        """
        One bounded slice of the service's work; changes are logged (and sent by RPC).

        :param held: pair -> leverage of its open trade, as freqtrade records it
        """
        mode = self.settings.margin_mode
        done: Maintenance = self.service.maintain(
            self.targets(pairs),
            verify_interval=self.settings.verify_interval,
            max_requests=budget,
            held={pair: PairTarget(pair, mode, leverage) for pair, leverage in held.items()},
        )
        for result in done.changed:
            self._report(result)
        for result in done.drifted:
            self._report(result, drift=True)
        for mismatch in done.mismatches:
            self._mismatch(mismatch)

    def check_entry(self, target: PairTarget) -> Verdict:
        """The gate: the verdict for an entry at ``target``, by the entry proof."""
        if target.leverage == self.settings.leverage_for(target.pair):
            self._pinned.pop(target.pair, None)
        else:
            self._pinned[target.pair] = target.leverage
        result, repaired = self._ensure(target, own_position=False)
        if repaired:  # the set-back was said (WARNING + RPC); this is its consequence
            return self._quietly(self.gate.refuse(target.pair, DEFERRED))
        verdict = self.gate.judge(target, result)
        return self._quietly(verdict) if self._explained(target.pair) else verdict

    def before_order(self, prep: OrderPrep) -> Any:
        """
        freqtrade's ``_lev_prep`` for one order: nothing is sent when the pair is confirmed at
        the order's mode and leverage by Bybit's fresh word; else the service reads (and writes
        what differs). An initial entry that still is not confirmed is refused under
        ``on_failure: block`` (:class:`EntryRefused`); any other order goes out after
        freqtrade's own margin calls, and the pair stays unconfirmed.
        """
        target = PairTarget(prep.pair, self.settings.margin_mode, prep.leverage)
        result: PairResult | None = None
        repaired = False
        try:
            result, repaired = self._ensure(target, own_position=prep.accept_fail)
        except Exception:  # never break freqtrade's order path with a bug of ours
            logger.exception("Bybit margin: checking %s before an order failed.", prep.pair)
            result = None
        if repaired and not prep.accept_fail:
            raise EntryRefused(f"Bybit margin: entry on {prep.pair} refused: {DEFERRED}.")
        if result is not None and result.confirmed and result.target == target:
            return None  # Bybit holds exactly the order's settings: nothing to send
        if prep.accept_fail or self.settings.on_failure is OnFailure.WARN:
            why = result.reason if result is not None else "the check failed"
            self._say(
                ("order", prep.pair),
                logging.WARNING,
                f"Bybit margin: an order on {prep.pair} at {fmt_leverage(prep.leverage)} goes out "
                f"although the pair is not confirmed ({why}); freqtrade's own margin-mode and "
                "leverage calls are sent first.",
            )
            return prep.run()
        verdict = self.gate.judge(target, result)
        self._tell(verdict)
        raise EntryRefused(verdict.message)

    def _ensure(self, target: PairTarget, *, own_position: bool) -> tuple[PairResult, bool]:
        """The entry proof for ``target``; and whether a read just found it changed outside
        the bot (it was confirmed at this very target) and it was set back."""
        before = self.service.result_for(target.pair)
        result = self.service.ensure(
            target, max_age=self.settings.entry_max_age, own_position=own_position
        )
        repaired = (
            result is not before
            and before is not None
            and before.confirmed
            and before.target == result.target
            and result.outcome is Outcome.CHANGED
        )
        if repaired:
            self._report(result, drift=True)
        elif before is None or (before.confirmed, before.target) != (
            result.confirmed,
            result.target,
        ):
            self._report(result)
        return result, repaired

    def _account_label(self) -> str:
        try:
            return self.service.account_type.label
        except Exception:  # the summary must not fail on a probe error
            return "unknown account"

    def _explained(self, pair: str) -> bool:
        """The user was told within the hour that another client contests ``pair`` (or the
        account's mode): what follows from it (refusals, a position that is not ours) is said
        at INFO only."""
        now = time.time()
        return any(now - self._told.get(key, -math.inf) < EXPLAINED_S for key in (pair, ACCOUNT))

    @staticmethod
    def _quietly(verdict: Verdict) -> Verdict:
        return replace(verdict, level=logging.INFO, notify=False)

    def _tell(self, verdict: Verdict) -> None:
        said = verdict.message and self._say(verdict.key, verdict.level, verdict.message)
        if said and verdict.notify:
            self._notify(verdict.message)

    def _report(self, result: PairResult, *, drift: bool = False) -> None:
        """Log a changed result; drift and new failures also go through RPC."""
        was = result.pair in self._confirmed
        line = result_line(result)
        if result.confirmed:
            self._confirmed.add(result.pair)
            if not drift:
                logger.info("Bybit margin: %s", line)
                return
            message = (
                f"Bybit margin: {result.pair} was changed outside the bot and is set back: {line}"
            )
        else:
            self._confirmed.discard(result.pair)
            state = "no longer confirmed" if was else "not confirmed"
            message = f"Bybit margin: {result.pair} {state}: {line}"
            contested = result.failure is not None and result.failure.kind is FailureKind.CONTESTED
            if contested or self._explained(result.pair):
                self._say(("result", result.pair), logging.INFO, message)
                return
        if self._say(("result", result.pair), logging.WARNING, message):
            self._notify(message)

    def _mismatch(self, mismatch: Mismatch) -> None:
        """An open trade off its recorded settings: said once (log + RPC) per value found."""
        recorded = fmt_leverage(mismatch.recorded.leverage)
        message = (
            f"Bybit margin: {mismatch.pair}: {mismatch.reason}. freqtrade computes "
            f"stake and liquidation with {recorded}. The trade's own orders set it back to "
            f"{recorded}; no new entry on {mismatch.pair} before the trade is closed and the "
            "pair is prepared again."
        )
        key = ("mismatch", f"{mismatch.pair} {mismatch.found.leverage}")
        if self._say(key, logging.WARNING, message):
            self._notify(message)

    def _contested(self, contest: Contest) -> None:
        """Another client keeps changing a setting back: said once (log + RPC)."""
        scope = "every pair" if contest.key == ACCOUNT else contest.key
        message = (
            f"Bybit margin: {contest.reason}. This bot stops writing it and refuses entries on "
            f"{scope} until it stays put (looked at again after growing pauses). {SHARED_UID}"
        )
        self._told[contest.key] = time.time()
        if self._say(("contest", contest.key), logging.WARNING, message):
            self._notify(message)

    def _paused(self, message: str) -> None:
        """An IP ban pauses every request (the pacer logs it once, at WARNING): RPC too."""
        self._notify(f"Bybit margin: {message}")

    def _account_change(self, message: str) -> None:
        """The service is about to change an account-wide setting (and logs it at WARNING):
        queued for RPC too, once per TTL."""
        if self._say(("account", ""), logging.DEBUG, message):
            self._notify(f"Bybit margin: {message}")
