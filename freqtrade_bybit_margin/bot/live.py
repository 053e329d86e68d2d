"""
The mixin's policy and its live controller: what the strategy callbacks decide and how live
mode runs the service.

- :class:`MixinState`: everything the mixin keeps on the strategy instance, and the decisions
  its callbacks delegate here (settings, the ``pair_leverage`` keys, leverage caps, the entry
  verdict, failing closed).
- :class:`LiveController`: live mode on Bybit futures: the service's work at startup and in
  the loop, the gate's verdicts, freqtrade's per-order margin calls, what the user is told (log
  and RPC).

No freqtrade internals here (they are in :mod:`.internals`); freqtrade's public exception
classes only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from freqtrade.exceptions import ConfigurationError, OperationalException

from freqtrade_bybit_margin.bot.gate import EntryGate, LogOnce, Verdict
from freqtrade_bybit_margin.bot.internals import BotClient, OrderPrep
from freqtrade_bybit_margin.config import (
    SECTION,
    Enablement,
    MarginSettings,
    OnFailure,
    check_pair_keys,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import finite_decimal, fmt_leverage
from freqtrade_bybit_margin.model import PairResult, PairTarget
from freqtrade_bybit_margin.report import result_line, summary_table
from freqtrade_bybit_margin.service.margin_service import MarginService, RetryPolicy


__all__ = [
    "BybitMarginConfigurationError",
    "LiveController",
    "MixinState",
    "settings_or_none",
]

logger = logging.getLogger(__name__)

LEV_PREP_GRACE = 10.0
"""Seconds past ``verify_interval`` a confirmation still covers freqtrade's ``_lev_prep``: the
gate verified the pair within ``verify_interval`` just before the order."""
LEV_PREP_SKIPPED = (
    "Bybit margin: freqtrade's margin-mode and leverage calls before each order are skipped "
    "while the pair is confirmed at exactly that mode and leverage."
)
NO_SECTION = (
    f"Bybit margin: no '{SECTION}' section in the config and no {SECTION} attribute on the "
    "strategy: the plugin is inert (no request, no refusal; freqtrade sets margin mode and "
    f'leverage itself). To enable it add e.g. "{SECTION}": {{"leverage": 3}} to the config; '
    f'to silence this, "{SECTION}": {{"enabled": false}}.'
)


class BybitMarginConfigurationError(ConfigurationError, ValueError):  # type: ignore[misc]
    """A ``bybit_margin`` setting stops startup.

    freqtrade's :class:`ConfigurationError`; also a ``ValueError``, so that freqtrade's strategy
    wrapper reports it in one line instead of a traceback.
    """


def settings_or_none(
    config: Mapping[str, Any], defaults: Mapping[str, Any]
) -> MarginSettings | None:
    """
    The validated settings; None (and why, logged) when the mixin stays inert.

    :param config: freqtrade's config
    :param defaults: the strategy's ``bybit_margin`` attribute
    :raise BybitMarginConfigurationError: a setting is unusable
    """
    exchange = str(config.get("exchange", {}).get("name", "")).lower()
    trading_mode = str(config.get("trading_mode") or "spot")
    if (exchange != "bybit" or trading_mode != "futures") and SECTION not in config:
        # A strategy may run on other exchanges too; only a config that asks for
        # bybit_margin and cannot have it is an error (load_settings says why).
        logger.info(
            "Bybit margin: exchange %r, trading_mode %r: not Bybit futures, nothing to do.",
            exchange,
            trading_mode,
        )
        return None
    state = enablement(config, defaults)
    if state is Enablement.MISSING:
        logger.warning(NO_SECTION)
        return None
    if state is Enablement.DISABLED:
        logger.info('Bybit margin: "enabled": false: the plugin is inert on purpose.')
        return None
    try:
        return load_settings(config, defaults)
    except ConfigError as err:
        raise BybitMarginConfigurationError(str(err)) from err


@dataclass
class MixinState:
    """Everything the mixin keeps on the strategy instance (one attribute, ``_bbm_st``)."""

    started: bool = False
    """The mixin's ``bot_start`` ran."""
    active: bool = False
    """Enabled on Bybit futures: the mixin decides leverage (and gates entries when live)."""
    broken: str = ""
    """Live, but the plugin cannot work in this bot: every entry is refused."""
    settings: MarginSettings | None = None
    live: LiveController | None = None
    whitelist: tuple[str, ...] = ()
    """The whitelist the ``pair_leverage`` keys were last checked against."""
    leverage_used: dict[str, Decimal] = field(default_factory=dict)
    """Leverage the mixin's ``leverage()`` returned for the coming entry, per pair."""
    leverage_failed: dict[str, str] = field(default_factory=dict)
    say: LogOnce = field(default_factory=lambda: LogOnce(logger))

    def check_pairs(
        self,
        settings: MarginSettings,
        pairs: Sequence[str],
        markets: Sequence[str] = (),
        *,
        startup: bool = False,
    ) -> None:
        """
        Every ``pair_leverage`` key against the whitelist, at startup and when it changed.

        :raise BybitMarginConfigurationError: at startup, a key that is a near miss
        """
        if tuple(pairs) == self.whitelist and not startup:
            return
        self.whitelist = tuple(pairs)
        try:
            warnings = check_pair_keys(settings, pairs, markets)
        except ConfigError as err:
            if startup:
                raise BybitMarginConfigurationError(str(err)) from err
            self.say(("pair-keys", ""), logging.ERROR, f"Bybit margin: {err}")  # too late to stop
            return
        for line in warnings:
            key = line.partition(" matches ")[0]  # "bybit_margin.pair_leverage: key 'X'"
            self.say(("pair-key", key), logging.WARNING, f"Bybit margin: {line}")

    def fail_closed(self, problem: str, live: bool, notify: Callable[[str], None]) -> None:
        """The plugin cannot work here: one ERROR line; live, every entry is refused."""
        verdict = "no entry will be made" if live else "live mode would refuse every entry"
        message = f"Bybit margin: {problem}; {verdict}."
        logger.error(message)
        if live:
            self.broken = problem
            notify(message)

    def verdict(self, pair: str) -> Verdict:
        """The gate's verdict for an entry on ``pair`` now."""
        if self.broken:
            return EntryGate(OnFailure.BLOCK).broken(pair, self.broken)
        live = self.live
        if live is None:
            return Verdict(True)  # inert, or not live: nothing to check
        if pair in self.leverage_failed:
            return live.gate.refuse(pair, f"leverage() failed ({self.leverage_failed[pair]})")
        leverage = self.leverage_used.pop(pair, None)
        if leverage is None:
            leverage = live.settings.leverage_for(pair)
            self.say(
                ("no-leverage", pair),
                logging.WARNING,
                f"Bybit margin: BybitMarginMixin.leverage() was not called for {pair} (does the "
                f"strategy override leverage() without calling super(), or was the entry forced "
                f"with a leverage?); checking {pair} at its configured {fmt_leverage(leverage)}.",
            )
        return live.check_entry(PairTarget(pair, live.settings.margin_mode, leverage))

    def entry_leverage(self, settings: MarginSettings, pair: str, max_leverage: float) -> float:
        """The configured leverage of ``pair`` capped by ``max_leverage``, kept for the gate."""
        wanted = settings.leverage_for(pair)
        cap = finite_decimal(max_leverage) or Decimal(1)
        used = min(wanted, cap)
        if used < wanted:
            self.say(
                ("cap", pair),
                logging.WARNING,
                f"Bybit margin: {pair}: configured leverage {fmt_leverage(wanted)} is above "
                f"freqtrade's max_leverage {fmt_leverage(cap)} for this stake; using "
                f"{fmt_leverage(used)}.",
            )
        self.leverage_failed.pop(pair, None)
        self.leverage_used[pair] = used
        return float(used)

    def tell(self, verdict: Verdict, notify: Callable[[str], None]) -> None:
        """Log the verdict's message (de-duplicated); send it through RPC if it asks for that."""
        said = verdict.message and self.say(verdict.key, verdict.level, verdict.message)
        if said and verdict.notify:
            notify(verdict.message)


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
            client.api, retry=retry, tap=client.tap, on_account_change=self._account_change
        )
        self.gate = EntryGate(settings.on_failure)
        self._notify = notify
        self._say = say
        self._pinned: dict[str, Decimal] = {}
        """Leverage of the last entry, where ``max_leverage`` capped it below the target."""
        self._confirmed: set[str] = set()

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

    def maintain(self, pairs: Sequence[str], budget: int) -> None:
        """One bounded slice of the service's work; changes are logged (and sent by RPC)."""
        results = self.service.maintain(
            self.targets(pairs), verify_interval=self.settings.verify_interval, max_requests=budget
        )
        for result in results:
            self._report(result)

    def check_entry(self, target: PairTarget) -> Verdict:
        """The verdict for an entry at ``target``; prepares or re-reads the pair if needed."""
        if target.leverage == self.settings.leverage_for(target.pair):
            self._pinned.pop(target.pair, None)
        else:
            self._pinned[target.pair] = target.leverage
        before = self.service.result_for(target.pair)
        result = self.service.ensure(target, max_age=self.settings.verify_interval)
        if before is None or (before.confirmed, before.target) != (result.confirmed, result.target):
            self._report(result)
        return self.gate.judge(target, result, time.time(), self.settings.verify_interval)

    def before_order(self, prep: OrderPrep) -> Any:
        """freqtrade's ``_lev_prep``: nothing is sent for a pair confirmed at exactly the
        order's mode and leverage; freqtrade's own calls run otherwise."""
        if self._covers(prep):
            return None
        return prep.run()

    def _covers(self, prep: OrderPrep) -> bool:
        try:
            if prep.margin_mode != self.settings.margin_mode.value:
                return False
            target = PairTarget(prep.pair, self.settings.margin_mode, prep.leverage)
            result = self.service.result_for(prep.pair)
            max_age = self.settings.verify_interval + LEV_PREP_GRACE
            return result is not None and result.confirms(target, time.time(), max_age)
        except Exception:  # never break freqtrade's order path: let freqtrade do its calls
            logger.exception("Bybit margin: checking %s before an order failed.", prep.pair)
            return False

    def _account_label(self) -> str:
        try:
            return self.service.account_type.label
        except Exception:  # the summary must not fail on a probe error
            return "unknown account"

    def _report(self, result: PairResult) -> None:
        """Log a changed result; drift and new failures also go through RPC."""
        was = result.pair in self._confirmed
        line = result_line(result)
        if result.confirmed:
            self._confirmed.add(result.pair)
            if not was:
                logger.info("Bybit margin: %s", line)
                return
            message = f"Bybit margin: {result.pair} was changed outside the bot; {line}"
        else:
            self._confirmed.discard(result.pair)
            state = "no longer confirmed" if was else "not confirmed"
            message = f"Bybit margin: {result.pair} {state}: {line}"
        if self._say(("result", result.pair), logging.WARNING, message):
            self._notify(message)

    def _account_change(self, message: str) -> None:
        """The service is about to change an account-wide setting (and logs it at WARNING):
        sent through RPC too, once per TTL."""
        if self._say(("account", ""), logging.DEBUG, message):
            self._notify(f"Bybit margin: {message}")
