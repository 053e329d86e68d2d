"""
:class:`BybitMarginMixin`: no position opens on Bybit before its pair is confirmed in the
configured margin mode and leverage.

Usage::

    class MyStrategy(BybitMarginMixin, IStrategy):
        bybit_margin = {"leverage": 3}  # optional defaults; the config section overrides them

The only module of the package that imports freqtrade. It adapts three strategy callbacks to
:class:`~freqtrade_bybit_margin.service.MarginService`:

- ``bot_start``: validate the ``bybit_margin`` settings (errors stop startup), check leverage
  against each market, and in live mode prepare the whole whitelist and log one summary table.
  Other run modes only log the plan and make no private request.
- ``leverage``: the pair's configured leverage, capped by freqtrade's ``max_leverage``.
- ``confirm_trade_entry``: the gate. freqtrade treats an exception here as "allow", so the gate
  catches everything itself and answers "no" under ``on_failure: block``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import ccxt
from freqtrade.enums import RunMode
from freqtrade.exceptions import ConfigurationError, OperationalException

from freqtrade_bybit_margin.config import (
    SECTION,
    MarginSettings,
    OnFailure,
    check_leverage_limits,
    load_settings,
)
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.model import Outcome, PairResult, PairTarget
from freqtrade_bybit_margin.service.margin_service import MarginService


if TYPE_CHECKING:
    from freqtrade.data.dataprovider import DataProvider


logger = logging.getLogger(__name__)

_HOOKS = ("bot_start", "leverage", "confirm_trade_entry")


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
    """Bybit futures: the mixin manages margin mode and leverage."""
    broken: str = ""
    """Why a late start (see ``_bbm_ensure_started``) failed; every entry is refused."""
    settings: MarginSettings | None = None
    service: MarginService | None = None
    """Live mode only."""
    leverage_used: dict[str, float] = field(default_factory=dict)
    """Leverage the mixin's ``leverage()`` returned for the coming entry, per pair."""
    leverage_failed: dict[str, str] = field(default_factory=dict)
    next_attempt: dict[str, float] = field(default_factory=dict)
    said: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class BybitMarginMixin:
    """Strategy mixin: every pair in its configured margin mode and leverage before it trades.

    Put it before ``IStrategy``: ``class MyStrategy(BybitMarginMixin, IStrategy)``. Overrides of
    ``bot_start``, ``leverage`` and ``confirm_trade_entry`` must call ``super()``.
    """

    bybit_margin: ClassVar[Mapping[str, Any]] = {}
    """Defaults for the ``bybit_margin`` config section, which overrides them key by key."""
    bybit_margin_retry_seconds: ClassVar[float] = 60.0
    """A pair whose preparation failed retryably is tried again after this many seconds."""

    if TYPE_CHECKING:
        config: dict[str, Any]
        dp: DataProvider

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for hook in _HOOKS:
            blocker = _bbm_hook_blocker(cls, hook)
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

    # -- public helpers ---------------------------------------------------------------------

    @property
    def bybit_margin_settings(self) -> MarginSettings | None:
        """The validated settings, once ``bot_start`` ran on Bybit futures."""
        st: _MixinState | None = getattr(self, "_bbm_st", None)
        return st.settings if st is not None else None

    def bybit_margin_result(self, pair: str) -> PairResult | None:
        """The last preparation result of ``pair`` (live mode), from memory."""
        st: _MixinState | None = getattr(self, "_bbm_st", None)
        service = st.service if st is not None else None
        return service.result_for(pair) if service is not None else None

    # -- freqtrade callbacks ----------------------------------------------------------------

    def bot_start(self, **kwargs: Any) -> None:
        """
        Validate the settings, then prepare the whitelist (live) or log the plan (other modes).
        :raise ConfigurationError: a ``bybit_margin`` setting is unusable; stops startup
        """
        self._bbm_start()
        parent: Any = super()
        parent.bot_start(**kwargs)

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
            if not st.active or st.settings is None:
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
            wanted = st.settings.leverage_for(pair)
            used = min(wanted, max_leverage)
            if used < wanted:
                self._bbm_say(
                    f"cap:{pair}",
                    logging.WARNING,
                    f"Bybit margin: {pair}: configured leverage {wanted:g}x is above freqtrade's "
                    f"max_leverage {max_leverage:g}x for this stake; using {used:g}x.",
                )
            st.leverage_failed.pop(pair, None)
            st.leverage_used[pair] = used
            return used
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

        A pair not prepared yet (it joined the whitelist after startup) is prepared here first.
        Never raises: freqtrade would take an exception for "allow".
        """
        try:
            allowed = self._bbm_gate(pair)
        except Exception as err:
            allowed = self._bbm_gate_error(pair, err)
        if not allowed:
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
        st = _MixinState(started=True)
        self._bbm_st = st
        exchange = str(self.config.get("exchange", {}).get("name", "")).lower()
        trading_mode = str(self.config.get("trading_mode") or "spot")
        if (exchange != "bybit" or trading_mode != "futures") and SECTION not in self.config:
            # A strategy may run on other exchanges too; only a config that asks for
            # bybit_margin and cannot have it is an error (load_settings says why).
            logger.info(
                "Bybit margin: exchange %r, trading_mode %r: not Bybit futures, nothing to do.",
                exchange,
                trading_mode,
            )
            return
        try:
            settings = load_settings(self.config, self.bybit_margin)
            pairs = self._bbm_whitelist()
            markets = {pair: m for pair in pairs if (m := self.dp.market(pair)) is not None}
            check_leverage_limits(settings, pairs, markets)
        except ConfigError as err:
            raise BybitMarginConfigurationError(str(err)) from err
        st.settings = settings
        st.active = True
        if self._bbm_runmode() is not RunMode.LIVE:
            logger.info(_plan_table(settings, pairs, self._bbm_runmode()))
            return
        st.service = MarginService(self._bbm_ccxt())
        self._bbm_prepare_all(st.service, settings, [settings.target_for(p) for p in pairs])

    def _bbm_prepare_all(
        self, service: MarginService, settings: MarginSettings, targets: Sequence[PairTarget]
    ) -> None:
        st = self._bbm_state()
        try:
            with st.lock:
                results = service.prepare(targets)
        except (ccxt.AuthenticationError, ccxt.PermissionDenied) as err:
            raise OperationalException(
                f"Bybit margin: the API key cannot change margin settings: {err}"
            ) from err
        except Exception as err:
            message = (
                f"Bybit margin: preparing {len(targets)} pairs failed ({err!r}); each pair is "
                f"prepared again on its first entry."
            )
            logger.exception(message)
            self.dp.send_msg(message)
            return
        logger.info(_summary_table(service, settings, results))
        failed = [r for r in results if not r.confirmed]
        for result in failed:
            st.next_attempt[result.pair] = time.time() + self.bybit_margin_retry_seconds
        if failed:
            lines = [f"{r.pair}: {r.outcome.value}: {r.reason}" for r in failed]
            verb = (
                "no entries until confirmed"
                if settings.on_failure is OnFailure.BLOCK
                else ("entries allowed anyway (on_failure: warn)")
            )
            self.dp.send_msg(
                f"Bybit margin: {len(failed)} of {len(results)} pairs not confirmed, {verb}:\n"
                + "\n".join(lines)
            )

    # -- the gate ---------------------------------------------------------------------------

    def _bbm_gate(self, pair: str) -> bool:
        self._bbm_ensure_started()
        st = self._bbm_state()
        if st.broken:
            message = (
                f"Bybit margin: entry on {pair} refused: the mixin could not start: {st.broken}"
            )
            self._bbm_say(f"broken:{pair}", logging.ERROR, message)
            return False
        if not st.active or st.service is None or st.settings is None:
            return True  # inert, or not live: nothing to check
        if pair in st.leverage_failed:
            return self._bbm_refuse(pair, f"leverage() failed ({st.leverage_failed[pair]})")
        leverage = st.leverage_used.pop(pair, None)
        if leverage is None:
            leverage = st.settings.leverage_for(pair)
            self._bbm_say(
                f"no-leverage:{pair}",
                logging.WARNING,
                f"Bybit margin: BybitMarginMixin.leverage() was not called for {pair} (does the "
                f"strategy override leverage() without calling super(), or was the entry forced "
                f"with a leverage?); checking {pair} at its configured {leverage:g}x.",
            )
        target = PairTarget(pair, st.settings.margin_mode, leverage)
        result = self._bbm_ensure_prepared(st.service, target)
        if result is not None and result.confirmed and result.target == target:
            return True
        if result is None or result.target != target:
            why = "not prepared yet"
        else:
            why = f"{result.outcome.value}: {result.reason}" if result.reason else result.outcome
        return self._bbm_refuse(
            pair, f"not confirmed {target.margin_mode.value} {target.leverage:g}x ({why})"
        )

    def _bbm_ensure_prepared(self, service: MarginService, target: PairTarget) -> PairResult | None:
        """Prepare ``target`` if it is new, or failed retryably and its retry time came."""
        if service.is_confirmed(target):
            return service.result_for(target.pair)
        st = self._bbm_state()
        last = service.result_for(target.pair)
        now = time.time()
        due = (
            last is None
            or last.target != target
            or (
                (last.retryable or last.outcome is Outcome.SKIPPED)
                and now >= st.next_attempt.get(target.pair, 0.0)
            )
        )
        if not due:
            return last
        st.next_attempt[target.pair] = now + self.bybit_margin_retry_seconds
        with st.lock:
            result = service.prepare([target])[0]
        level = logging.INFO if result.confirmed else logging.WARNING
        logger.log(level, "Bybit margin: %s", _result_line(result))
        return result

    def _bbm_refuse(self, pair: str, reason: str) -> bool:
        st = self._bbm_state()
        if st.settings is not None and st.settings.on_failure is OnFailure.WARN:
            self._bbm_say(
                f"warn:{pair}:{reason}",
                logging.WARNING,
                f"Bybit margin: entry on {pair} allowed although {reason} (on_failure: warn).",
            )
            return True
        message = f"Bybit margin: entry on {pair} refused: {reason} (on_failure: block)."
        if self._bbm_say(f"refuse:{pair}:{reason}", logging.WARNING, message):
            self.dp.send_msg(message)
        return False

    def _bbm_gate_error(self, pair: str, err: Exception) -> bool:
        settings = self._bbm_state().settings
        block = settings is None or settings.on_failure is OnFailure.BLOCK
        verdict = "refused" if block else "allowed (on_failure: warn)"
        if self._bbm_say(f"error:{pair}:{type(err).__name__}", logging.ERROR, ""):
            logger.exception("Bybit margin: entry check for %s failed; entry %s.", pair, verdict)
        return not block

    # -- small helpers ----------------------------------------------------------------------

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

    def _bbm_say(self, key: str, level: int, message: str) -> bool:
        """Log ``message`` once per ``key``; True the first time."""
        said = self._bbm_state().said
        if key in said:
            return False
        said.add(key)
        if message:
            logger.log(level, message)
        return True

    def _bbm_runmode(self) -> RunMode:
        if getattr(self, "dp", None) is not None:
            return RunMode(self.dp.runmode)
        return RunMode(self.config.get("runmode", RunMode.OTHER))

    def _bbm_whitelist(self) -> list[str]:
        try:
            return list(self.dp.current_whitelist())
        except OperationalException:  # no pairlist provider in this run mode
            return list(self.config.get("exchange", {}).get("pair_whitelist", []))

    def _bbm_ccxt(self) -> Any:
        """
        freqtrade's own sync ``ccxt.bybit`` client: credentials set, markets loaded.

        The ONE place the mixin reaches into freqtrade internals (checked with freqtrade
        2026.9): the strategy API exposes no exchange client, and the service must use this
        very instance, to share its keys, markets, rate-limit throttle and the account-type
        probe freqtrade already made at startup. ``dp._exchange`` is the bot's ``Exchange``,
        ``_api`` its sync ccxt instance (``_api_async`` is the async one, not used here).
        """
        api = getattr(getattr(self.dp, "_exchange", None), "_api", None)
        if api is None:
            raise OperationalException(
                "Bybit margin: freqtrade's exchange has no sync ccxt client (dp._exchange._api); "
                "this freqtrade version is not supported."
            )
        return api


def _bbm_hook_blocker(cls: type, hook: str) -> type | None:
    """The first class before the mixin in ``cls``'s MRO whose ``hook`` does not call super()."""
    for klass in cls.__mro__:
        if klass is BybitMarginMixin:
            return None
        func = vars(klass).get(hook)
        code = getattr(func, "__code__", None)
        if code is not None and not {"super", "BybitMarginMixin"} & set(code.co_names):
            return klass
    return None


def _fmt_lev(value: float) -> str:
    return f"{value:g}x"


def _result_line(result: PairResult) -> str:
    target = result.target
    text = (
        f"{target.pair} {target.margin_mode.value} {_fmt_lev(target.leverage)} "
        f"via {result.mechanism.value}: {result.outcome.value}"
    )
    return f"{text} ({result.reason})" if result.reason else text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [header, *rows]
    return "\n".join(
        "  " + "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip()
        for line in lines
    )


_HEADER = ("pair", "mechanism", "mode", "leverage", "result")


def _summary_table(
    service: MarginService, settings: MarginSettings, results: Sequence[PairResult]
) -> str:
    rows = [
        (
            r.pair,
            r.mechanism.value,
            r.target.margin_mode.value,
            _fmt_lev(r.target.leverage),
            f"{r.outcome.value}: {r.reason}" if r.reason else r.outcome.value,
        )
        for r in results
    ]
    ready = sum(r.confirmed for r in results)
    try:
        account = service.account_type.label
    except Exception:  # the summary must not fail on a probe error
        account = "unknown account"
    title = (
        f"Bybit margin: {ready} of {len(results)} pairs ready ({account}, "
        f"on_failure: {settings.on_failure.value}):"
    )
    return title + "\n" + _table(_HEADER, rows)


def _plan_table(settings: MarginSettings, pairs: Sequence[str], runmode: RunMode) -> str:
    rows = [
        (
            pair,
            "unknown (no keys)",
            settings.margin_mode.value,
            _fmt_lev(settings.leverage_for(pair)),
            "planned",
        )
        for pair in pairs
    ]
    title = (
        f"Bybit margin plan ({runmode.value}: no private request; live mode prepares these "
        f"pairs at startup, on_failure: {settings.on_failure.value}):"
    )
    return title + "\n" + _table(_HEADER, rows)
