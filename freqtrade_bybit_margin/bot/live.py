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
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from freqtrade.exceptions import DependencyException, OperationalException

from freqtrade_bybit_margin.bot.gate import EntryGate, LogOnce, Verdict
from freqtrade_bybit_margin.bot.internals import BotClient, OrderPrep
from freqtrade_bybit_margin.bot.telling import Teller, clamp_verdict
from freqtrade_bybit_margin.config import MarginSettings, OnFailure, OverMax
from freqtrade_bybit_margin.markets import finite_decimal, fmt_leverage
from freqtrade_bybit_margin.model import Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.report import result_line, summary_table
from freqtrade_bybit_margin.service import Maintenance, MarginService, RetryPolicy


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
        self.teller = Teller(notify, say)
        self.service = MarginService(
            client.api,
            retry=retry,
            tap=client.tap,
            on_account_change=self.teller.account_change,
            contention_window=3 * settings.verify_interval,
            on_contest=self.teller.contested,
            on_pause=self.teller.paused,
            clamp_over_max=settings.over_max is OverMax.CLAMP,
            on_clamp=lambda clamp: self.teller.tell(clamp_verdict(clamp)),
        )
        self.gate = EntryGate(settings.on_failure)
        self._notify = notify
        self._say = say
        self._pinned: dict[str, Decimal] = {}
        """Leverage of the last entry, where ``max_leverage`` capped it below the target."""

    def targets(self, pairs: Sequence[str]) -> list[PairTarget]:
        """The targets of ``pairs`` (at the leverage their last entry used, if it was capped;
        at most Bybit's lower maximum under ``over_max: clamp``)."""
        mode, allowed = self.settings.margin_mode, self.service.over_max.allowed
        leverage = self.settings.leverage_for
        return [allowed(PairTarget(p, mode, self._pinned.get(p, leverage(p)))) for p in pairs]

    def leverage_for(self, pair: str) -> Decimal:
        """The configured leverage; Bybit's lower maximum under ``over_max: clamp``."""
        return self.service.over_max.allowed(self.settings.target_for(pair)).leverage

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
        self.teller.confirmed = {r.pair for r in results if r.confirmed}
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
            self.teller.report(result)
        for result in done.drifted:  # a clamp to Bybit's maximum is said on its own
            self.teller.report(result, drift=result.clamped_from is None)
        for mismatch in done.mismatches:
            self.teller.mismatch(mismatch)

    def check_entry(self, target: PairTarget) -> Verdict:
        """The gate: the verdict for an entry at ``target``, by the entry proof."""
        if target.leverage == self.leverage_for(target.pair):
            self._pinned.pop(target.pair, None)
        else:
            self._pinned[target.pair] = target.leverage
        result, repaired = self._ensure(target, own_position=False)
        if repaired:  # the set-back was said (WARNING + RPC); this is its consequence
            return self.teller.quietly(self.gate.refuse(target.pair, DEFERRED))
        if result.clamped_from is not None and result.target != target:  # said (WARNING + RPC)
            return self.teller.quietly(self.gate.refuse(target.pair, result.reason))
        verdict = self.gate.judge(target, result)
        return self.teller.quietly(verdict) if self.teller.explained(target.pair) else verdict

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
        self.teller.tell(verdict)
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
            self.teller.report(result, drift=True)
        elif before is None or (before.confirmed, before.target) != (
            result.confirmed,
            result.target,
        ):
            self.teller.report(result)
        return result, repaired

    def _account_label(self) -> str:
        try:
            return self.service.account_type.label
        except Exception:  # the summary must not fail on a probe error
            return "unknown account"
