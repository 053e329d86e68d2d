"""
:class:`BybitMarginMixin`: no position opens on Bybit before its pair is confirmed in the
configured margin mode and leverage.

Usage::

    class MyStrategy(BybitMarginMixin, IStrategy):
        bybit_margin = {"leverage": 3}  # optional defaults; the config section overrides them

The freqtrade glue: the strategy callbacks, adapted to
:class:`~freqtrade_bybit_margin.service.MarginService` (the CLI imports freqtrade too, for its
config loader and strategy resolver; this module is the only one that reaches into freqtrade's
internals, in :func:`_freqtrade_internals` alone). The entry-gate policy is
:mod:`freqtrade_bybit_margin.gate`.

- ``bot_start``: the config enables the plugin (no section: inert, one WARNING); validate the
  settings (errors stop startup); check the running versions (fail closed); in live mode
  prepare the whole whitelist and log one summary. Other run modes only log the plan.
- ``bot_loop_start`` (live): one bounded slice of the service's background work: late joiners
  prepared, failures retried, confirmed pairs re-verified every ``verify_interval``.
- ``leverage``: the pair's configured leverage, capped by freqtrade's ``max_leverage``.
- ``confirm_trade_entry``: the gate. freqtrade treats an exception here as "allow", so the gate
  catches everything itself and answers "no" under ``on_failure: block``.
- freqtrade's per-order ``Exchange._lev_prep`` sends nothing for a pair confirmed at exactly the
  order's mode and leverage.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import ccxt
from freqtrade.enums import RunMode
from freqtrade.exceptions import ConfigurationError, OperationalException

from freqtrade_bybit_margin import compat
from freqtrade_bybit_margin.config import (
    SECTION,
    Enablement,
    MarginSettings,
    OnFailure,
    check_leverage_limits,
    check_pair_keys,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.gate import EntryGate, LogOnce, Verdict, is_fresh
from freqtrade_bybit_margin.model import PairResult, PairTarget
from freqtrade_bybit_margin.report import (
    fmt_leverage,
    plan_row,
    result_line,
    result_row,
    text_table,
)
from freqtrade_bybit_margin.service.margin_service import MarginService


if TYPE_CHECKING:
    from freqtrade.data.dataprovider import DataProvider


logger = logging.getLogger(__name__)

_HOOKS = ("bot_start", "bot_loop_start", "leverage", "confirm_trade_entry")
_LEV_PREP_GRACE = 10.0
"""Seconds past ``verify_interval`` a confirmation still covers freqtrade's ``_lev_prep``: the
gate verified the pair within ``verify_interval`` just before the order."""
_NO_SECTION = (
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


@dataclass
class _MixinState:
    """Everything the mixin keeps on the strategy instance (one attribute, ``_bbm_st``)."""

    started: bool = False
    """The mixin's ``bot_start`` ran."""
    active: bool = False
    """Enabled on Bybit futures: the mixin decides leverage (and gates entries when live)."""
    broken: str = ""
    """Live, but the plugin cannot work in this bot: every entry is refused."""
    settings: MarginSettings | None = None
    live: _Live | None = None
    whitelist: tuple[str, ...] = ()
    """The whitelist the ``pair_leverage`` keys were last checked against."""
    leverage_used: dict[str, float] = field(default_factory=dict)
    """Leverage the mixin's ``leverage()`` returned for the coming entry, per pair."""
    leverage_failed: dict[str, str] = field(default_factory=dict)
    say: LogOnce = field(default_factory=lambda: LogOnce(logger))
    clock: Callable[[], float] = time.time
    """The clock of the service and the gate (tests move it)."""

    def now(self) -> float:
        return self.clock()

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
        used = min(wanted, max_leverage)
        if used < wanted:
            self.say(
                ("cap", pair),
                logging.WARNING,
                f"Bybit margin: {pair}: configured leverage {fmt_leverage(wanted)} is above "
                f"freqtrade's max_leverage {fmt_leverage(max_leverage)} for this stake; using "
                f"{fmt_leverage(used)}.",
            )
        self.leverage_failed.pop(pair, None)
        self.leverage_used[pair] = used
        return used

    def tell(self, verdict: Verdict, notify: Callable[[str], None]) -> None:
        """Log the verdict's message (de-duplicated); send it through RPC if it asks for that."""
        said = verdict.message and self.say(verdict.key, verdict.level, verdict.message)
        if said and verdict.notify:
            notify(verdict.message)


class BybitMarginMixin:
    """Strategy mixin: every pair in its configured margin mode and leverage before it trades.

    Put it before ``IStrategy``: ``class MyStrategy(BybitMarginMixin, IStrategy)``. Overrides of
    ``bot_start``, ``bot_loop_start``, ``leverage`` and ``confirm_trade_entry`` must call
    ``super()``.

    Naming: the mixin's public members start with ``bybit_margin``; its private ones with
    ``_bbm_`` (its whole state is one attribute, ``_bbm_st``), so that they cannot collide with
    a strategy's own names or freqtrade's ``ft_`` ones.
    """

    bybit_margin: ClassVar[Mapping[str, Any]] = {}
    """Defaults for the ``bybit_margin`` config section, which overrides them key by key."""
    bybit_margin_loop_requests: ClassVar[int] = 10
    """Budget of one ``bot_loop_start`` for background work (the service's ``max_requests``),
    so that freqtrade's loop stays short."""

    if TYPE_CHECKING:
        config: dict[str, Any]
        dp: DataProvider

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _warn_bypassed_hooks(cls)

    # -- public helpers ---------------------------------------------------------------------

    @property
    def bybit_margin_settings(self) -> MarginSettings | None:
        """The validated settings, once ``bot_start`` ran on Bybit futures."""
        st: _MixinState | None = getattr(self, "_bbm_st", None)
        return st.settings if st is not None else None

    def bybit_margin_result(self, pair: str) -> PairResult | None:
        """The last preparation result of ``pair`` (live mode), from memory."""
        st: _MixinState | None = getattr(self, "_bbm_st", None)
        live = st.live if st is not None else None
        return live.service.result_for(pair) if live is not None else None

    # -- freqtrade callbacks ----------------------------------------------------------------

    def bot_start(self, **kwargs: Any) -> None:
        """
        Validate the settings, then prepare the whitelist (live) or log the plan (other modes).

        :raise ConfigurationError: a ``bybit_margin`` setting is unusable; stops startup
        """
        self._bbm_start()
        parent: Any = super()
        parent.bot_start(**kwargs)

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        """
        Live: one bounded slice of background work (late joiners, retries, re-verification).

        Never raises, and spends at most ``bybit_margin_loop_requests`` requests.
        """
        st = self._bbm_state()
        if st.live is not None:
            try:
                pairs = self._bbm_whitelist()
                st.check_pairs(st.live.settings, pairs)
                st.live.maintain(pairs, self.bybit_margin_loop_requests)
            except Exception as err:
                message = f"Bybit margin: background work failed: {err!r}"
                st.say(("loop", ""), logging.ERROR, message, exc_info=err)
        parent: Any = super()
        parent.bot_loop_start(current_time=current_time, **kwargs)

    def leverage(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_leverage: float,
        max_leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs: Any,
    ) -> float:
        """
        The pair's configured leverage, capped by ``max_leverage``; never raises.

        On Bybit futures this answer is authoritative: it is what the pair was prepared with,
        so ``IStrategy.leverage`` is not consulted (a subclass overriding ``leverage`` still
        runs first and may change it). When inert, ``super()`` decides. On an unexpected error
        it returns 1.0 and the gate refuses the entry under ``on_failure: block``.
        """
        try:
            self._bbm_ensure_started()
            st = self._bbm_state()
            if st.active and st.settings is not None:
                return st.entry_leverage(st.settings, pair, max_leverage)
            parent: Any = super()
            return float(
                parent.leverage(
                    pair=pair,
                    current_time=current_time,
                    current_rate=current_rate,
                    proposed_leverage=proposed_leverage,
                    max_leverage=max_leverage,
                    entry_tag=entry_tag,
                    side=side,
                    **kwargs,
                )
            )
        except Exception as err:
            self._bbm_state().leverage_failed[pair] = repr(err)
            logger.exception("Bybit margin: leverage() failed for %s; answering 1.0.", pair)
            return 1.0

    def confirm_trade_entry(
        self,
        pair: str,
        order_type: str,
        amount: float,
        rate: float,
        time_in_force: str,
        current_time: datetime,
        entry_tag: str | None,
        side: str,
        **kwargs: Any,
    ) -> bool:
        """
        Refuse the entry when ``pair`` is not confirmed at its target (``on_failure: block``).

        A pair not prepared yet is prepared here first. Never raises: freqtrade would take an
        exception for "allow".
        """
        st = self._bbm_state()
        try:
            self._bbm_ensure_started()
            st = self._bbm_state()
            verdict = st.verdict(pair)
        except Exception as err:
            gate = st.live.gate if st.live is not None else EntryGate(OnFailure.BLOCK)
            verdict = gate.error(pair, err)
            st.say(verdict.key, verdict.level, verdict.message, exc_info=err)
        else:
            st.tell(verdict, self._bbm_notify)
        if not verdict.allowed:
            return False
        parent: Any = super()
        return bool(
            parent.confirm_trade_entry(
                pair=pair,
                order_type=order_type,
                amount=amount,
                rate=rate,
                time_in_force=time_in_force,
                current_time=current_time,
                entry_tag=entry_tag,
                side=side,
                **kwargs,
            )
        )

    # -- startup ----------------------------------------------------------------------------

    def _bbm_start(self) -> None:
        st = _MixinState(started=True, clock=self._bbm_state().clock)
        self._bbm_st = st
        settings = _settings_or_none(self.config, self.bybit_margin)
        if settings is None:
            return
        st.settings, st.active = settings, True
        live = self._bbm_runmode() is RunMode.LIVE
        problem = compat.runtime_problem()
        if problem is not None:
            st.fail_closed(problem, live, self._bbm_notify)
            return
        internals = _freqtrade_internals(self.dp, self._bbm_skip_lev_prep if live else None)
        if internals.api is None:
            st.fail_closed(internals.note, live, self._bbm_notify)
            return
        pairs = self._bbm_whitelist()
        try:
            check_leverage_limits(settings, pairs, internals.markets)
        except ConfigError as err:
            raise BybitMarginConfigurationError(str(err)) from err
        st.check_pairs(settings, pairs, list(internals.markets), startup=True)
        if not live:
            logger.info(_plan_table(settings, pairs, self._bbm_runmode()))
            return
        st.say(("lev_prep", ""), logging.INFO, internals.note)
        st.live = _Live(settings, internals.api, self._bbm_notify, st)
        st.live.prepare_all([settings.target_for(p) for p in pairs])

    def _bbm_skip_lev_prep(self, pair: str, margin_mode: str, leverage: float) -> bool:
        """True: freqtrade's per-order ``_lev_prep`` may send nothing for this order."""
        live = self._bbm_state().live
        return live is not None and live.covers(pair, margin_mode, leverage)

    # -- small helpers ----------------------------------------------------------------------

    def _bbm_notify(self, message: str) -> None:
        """Through freqtrade's RPC (Telegram, webhooks); freqtrade drops it outside live/dry."""
        self.dp.send_msg(message)

    def _bbm_state(self) -> _MixinState:
        st: _MixinState | None = getattr(self, "_bbm_st", None)
        if st is None:
            st = _MixinState()
            self._bbm_st = st
        return st

    def _bbm_ensure_started(self) -> None:
        """Run the mixin's start late if the strategy's ``bot_start`` did not reach it."""
        if self._bbm_state().started:
            return
        logger.warning(
            "Bybit margin: BybitMarginMixin.bot_start() never ran: the strategy overrides "
            "bot_start() without calling super().bot_start(**kwargs). Starting now."
        )
        try:
            self._bbm_start()
        except Exception as err:
            self._bbm_state().broken = str(err)
            raise

    def _bbm_runmode(self) -> RunMode:
        if getattr(self, "dp", None) is not None:
            return RunMode(self.dp.runmode)
        return RunMode(self.config.get("runmode", RunMode.OTHER))

    def _bbm_whitelist(self) -> list[str]:
        try:
            return list(self.dp.current_whitelist())
        except OperationalException:  # no pairlist provider in this run mode
            return list(self.config.get("exchange", {}).get("pair_whitelist", []))


class _Live:
    """
    Live mode on Bybit futures: the service's work, the gate's verdicts, what the user is told.

    :param settings: the validated section
    :param api: freqtrade's sync ``ccxt.bybit`` client, which the service uses
    :param notify: sends a message through freqtrade's RPC
    :param st: the mixin's state (its log de-duplication and clock)
    """

    def __init__(
        self,
        settings: MarginSettings,
        api: Any,
        notify: Callable[[str], None],
        st: _MixinState,
    ) -> None:
        self.settings = settings
        self.service = MarginService(api, clock=st.now, on_account_change=self._account_change)
        self.gate = EntryGate(settings.on_failure)
        self._notify = notify
        self._st = st
        self._pinned: dict[str, float] = {}
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

        :raise OperationalException: the API key cannot change margin settings; stops startup
        """
        try:
            results = self.service.prepare(targets)
        except (ccxt.AuthenticationError, ccxt.PermissionDenied) as err:
            raise OperationalException(
                f"Bybit margin: the API key cannot change margin settings: {err}"
            ) from err
        except Exception as err:
            message = (
                f"Bybit margin: preparing {len(targets)} pairs failed ({err!r}); they are "
                f"prepared again in the coming loops, and no entry is made on them before."
            )
            logger.exception(message)
            self._notify(message)
            return
        self._confirmed = {r.pair for r in results if r.confirmed}
        logger.info(_summary_table(self.service, self.settings, results))
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
        return self.gate.judge(target, result)

    def covers(self, pair: str, margin_mode: str, leverage: float) -> bool:
        """True when ``pair`` is confirmed at exactly this mode and leverage, recently enough."""
        try:
            if margin_mode != self.settings.margin_mode.value:
                return False
            target = PairTarget(pair, self.settings.margin_mode, float(leverage))
            max_age = self.settings.verify_interval + _LEV_PREP_GRACE
            return is_fresh(self.service.result_for(pair), target, max_age, self._st.now())
        except Exception:  # never break freqtrade's order path: let freqtrade do its calls
            logger.exception("Bybit margin: checking %s before an order failed.", pair)
            return False

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
        if self._st.say(("result", result.pair), logging.WARNING, message):
            self._notify(message)

    def _account_change(self, message: str) -> None:
        """The service is about to change an account-wide setting (and logs it at WARNING):
        sent through RPC too, once per TTL."""
        if self._st.say(("account", ""), logging.DEBUG, message):
            self._notify(f"Bybit margin: {message}")


@dataclass(frozen=True)
class _Internals:
    """What the mixin takes from freqtrade's internals.

    :param api: freqtrade's sync ``ccxt.bybit`` client, or None if not found
    :param markets: the exchange's contract markets, by pair name
    :param note: what was done about freqtrade's per-order calls, or why ``api`` is None
    """

    api: Any
    markets: Mapping[str, Mapping[str, Any]]
    note: str


_LEV_PREP_PARAMS = ("pair", "leverage", "side", "accept_fail")
_LEV_PREP_SKIPPED = (
    "Bybit margin: freqtrade's margin-mode and leverage calls before each order are skipped "
    "while the pair is confirmed at exactly that mode and leverage."
)
_LEV_PREP_UNKNOWN = (
    "Bybit margin: freqtrade's Exchange._lev_prep is not the one this plugin knows; it is left "
    "alone, so freqtrade's own margin-mode and leverage calls before each order remain."
)
_NO_CLIENT = (
    "freqtrade's exchange has no sync ccxt client (dp._exchange._api); this freqtrade version "
    "is not supported"
)


def _freqtrade_internals(
    dp: Any, skip_lev_prep: Callable[[str, str, float], bool] | None
) -> _Internals:
    """
    THE one place the plugin reaches into freqtrade internals (checked with freqtrade 2026.9).

    The strategy API exposes no exchange client, and the service must use this very instance,
    to share its keys, markets, rate-limit throttle and the account-type probe freqtrade
    already made: ``dp._exchange`` is the bot's ``Exchange``, ``_api`` its sync ccxt client.

    With ``skip_lev_prep``, the bot's own ``Exchange`` INSTANCE (never freqtrade's class) gets
    a ``_lev_prep`` that sends nothing when ``skip_lev_prep(pair, margin_mode, leverage)`` says
    the pair is confirmed at exactly that mode and leverage, and calls freqtrade's otherwise.
    It is installed only where ``_lev_prep`` has the signature checked here.
    :param dp: the strategy's DataProvider
    :param skip_lev_prep: live mode: the mixin's check; None: leave ``_lev_prep`` alone
    :return: the client, the contract market names and a note on ``_lev_prep``
    """
    exchange: Any = getattr(dp, "_exchange", None)
    api: Any = getattr(exchange, "_api", None)
    if api is None or not hasattr(api, "markets"):
        return _Internals(None, {}, _NO_CLIENT)
    markets = {
        name: m for name, m in (api.markets or {}).items() if m.get("contract") and m.get("settle")
    }
    if skip_lev_prep is None:
        return _Internals(api, markets, "")
    current: Any = getattr(exchange, "_lev_prep", None)
    original: Any = (
        getattr(current, "__wrapped__", current) if hasattr(current, "_bbm") else current
    )
    if not _is_known_lev_prep(original):
        return _Internals(api, markets, _LEV_PREP_UNKNOWN)

    def _lev_prep(pair: str, leverage: float, side: Any, accept_fail: bool = False) -> Any:
        mode = getattr(exchange, "margin_mode", None)
        if skip_lev_prep(pair, str(getattr(mode, "value", mode)), leverage):
            return None  # confirmed at exactly this mode and leverage: nothing to send
        return original(pair, leverage, side, accept_fail=accept_fail)

    _lev_prep.__wrapped__ = original  # type: ignore[attr-defined]
    _lev_prep._bbm = True  # type: ignore[attr-defined]
    exchange._lev_prep = _lev_prep
    return _Internals(api, markets, _LEV_PREP_SKIPPED)


def _is_known_lev_prep(func: Any) -> bool:
    """``func`` is a bound ``_lev_prep(pair, leverage, side, accept_fail=False)``."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    names = tuple(p.name for p in parameters)
    return names == _LEV_PREP_PARAMS and parameters[3].default is False


def _warn_bypassed_hooks(cls: type) -> None:
    """Warn about each hook of ``cls`` that never reaches the mixin's."""
    for hook in _HOOKS:
        blocker = _hook_blocker(cls, hook)
        if blocker is not None:
            logger.warning(
                "%s: %s.%s does not call super(), so BybitMarginMixin.%s never runs. %s",
                cls.__name__,
                blocker.__qualname__,
                hook,
                hook,
                f"Put the mixin first: class {cls.__name__}(BybitMarginMixin, IStrategy)."
                if blocker.__module__.startswith("freqtrade.")
                else f"Call super().{hook}(...) in it.",
            )


def _settings_or_none(
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
        logger.warning(_NO_SECTION)
        return None
    if state is Enablement.DISABLED:
        logger.info('Bybit margin: "enabled": false: the plugin is inert on purpose.')
        return None
    try:
        return load_settings(config, defaults)
    except ConfigError as err:
        raise BybitMarginConfigurationError(str(err)) from err


def _hook_blocker(cls: type, hook: str) -> type | None:
    """The first class before the mixin in ``cls``'s MRO whose ``hook`` does not call super()."""
    for klass in cls.__mro__:
        if klass is BybitMarginMixin:
            return None
        func = vars(klass).get(hook)
        code = getattr(func, "__code__", None)
        if code is not None and not {"super", "BybitMarginMixin"} & set(code.co_names):
            return klass
    return None


def _summary_table(
    service: MarginService, settings: MarginSettings, results: Sequence[PairResult]
) -> str:
    """The startup summary: a pair counts as ready only when the service confirmed it."""
    ready = sum(r.confirmed for r in results)
    try:
        account = service.account_type.label
    except Exception:  # the summary must not fail on a probe error
        account = "unknown account"
    title = (
        f"Bybit margin: {ready} of {len(results)} pairs ready ({account}, "
        f"on_failure: {settings.on_failure.value}):"
    )
    return text_table(title, [result_row(r) for r in results])


def _plan_table(settings: MarginSettings, pairs: Sequence[str], runmode: RunMode) -> str:
    title = (
        f"Bybit margin plan ({runmode.value}: no private request; live mode prepares these "
        f"pairs at startup, on_failure: {settings.on_failure.value}):"
    )
    return text_table(title, [plan_row(settings.target_for(pair)) for pair in pairs])
