"""
:class:`BybitMarginMixin`: no position opens on Bybit before its pair is confirmed in the
configured margin mode and leverage.

Usage::

    class MyStrategy(BybitMarginMixin, IStrategy):
        bybit_margin = {"leverage": 3}  # optional defaults; the config section overrides them

The strategy callbacks only: each delegates to the mixin's policy and live controller
(:mod:`.live`); freqtrade's internals are reached in :mod:`.internals` alone.

- ``bot_start``: the config enables the plugin (no section: inert, one WARNING); validate the
  settings (errors stop startup); check the running versions (fail closed); in live mode
  prepare the whole whitelist and log one summary. Other run modes only log the plan.
- ``bot_loop_start`` (live): one bounded slice of the service's background work: late joiners
  prepared, failures retried, confirmed pairs re-verified every ``verify_interval``.
- ``leverage``: the pair's configured leverage, capped by freqtrade's ``max_leverage``.
- ``confirm_trade_entry``: the gate. freqtrade treats an exception here as "allow", so the gate
  catches everything itself and answers "no" under ``on_failure: block``.
- freqtrade's per-order ``Exchange._lev_prep`` goes through the live controller.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException

from freqtrade_bybit_margin import compat, redact
from freqtrade_bybit_margin.bot import internals, startup
from freqtrade_bybit_margin.bot.gate import EntryGate
from freqtrade_bybit_margin.bot.live import open_trades
from freqtrade_bybit_margin.bot.policy import (
    BybitMarginConfigurationError,
    BybitMarginSetupError,
    MixinState,
    settings_or_none,
)
from freqtrade_bybit_margin.config import (
    MarginSettings,
    OnFailure,
    check_static,
)
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.model import PairResult
from freqtrade_bybit_margin.report import plan_table
from freqtrade_bybit_margin.service import RetryPolicy


if TYPE_CHECKING:
    from freqtrade.data.dataprovider import DataProvider


__all__ = ["BybitMarginConfigurationError", "BybitMarginMixin", "BybitMarginSetupError"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")


class BybitMarginMixin:
    """Strategy mixin: every pair in its configured margin mode and leverage before it trades.

    Put it before ``IStrategy``: ``class MyStrategy(BybitMarginMixin, IStrategy)``. Overrides of
    ``bot_start``, ``bot_loop_start``, ``leverage`` and ``confirm_trade_entry`` must call
    ``super()``.

    Naming: the mixin's public members start with ``bybit_margin``; its private ones with
    ``_bbm_`` (its whole state is one attribute, ``_bbm_st``), so that they cannot collide with
    a strategy's own names or freqtrade's ``ft_`` ones.

    Its constructor passes everything on and then checks the configuration that needs no
    market: freqtrade builds the strategy right after the exchange, before wallets, pairlists
    and ``bot_start``, so a bad value stops the bot there, before any further request.
    """

    bybit_margin: ClassVar[Mapping[str, Any]] = {}
    """Defaults for the ``bybit_margin`` config section, which overrides them key by key."""
    bybit_margin_loop_requests: ClassVar[int] = 10
    """Budget of one ``bot_loop_start`` for background work (the service's ``max_requests``),
    so that freqtrade's loop stays short."""
    bybit_margin_retry: ClassVar[RetryPolicy] = RetryPolicy()
    """How one request is retried after a transient failure (network, 5xx, 10002, 10016, a
    garbled answer): tries, back-off and a deadline; a pair that is still not confirmed is
    prepared again later by the loop."""

    if TYPE_CHECKING:
        config: dict[str, Any]
        dp: DataProvider

    def __init__(self, config: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)  # type: ignore[call-arg]
        try:
            check_static(config, type(self).bybit_margin)
        except ConfigError as err:
            raise BybitMarginSetupError(str(err)) from None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for line in internals.bypassed_hooks(cls, BybitMarginMixin):
            logger.warning(line)

    # -- public helpers ---------------------------------------------------------------------

    @property
    def bybit_margin_settings(self) -> MarginSettings | None:
        """The validated settings, once ``bot_start`` ran on Bybit futures."""
        st: MixinState | None = getattr(self, "_bbm_st", None)
        return st.settings if st is not None else None

    def bybit_margin_result(self, pair: str) -> PairResult | None:
        """The last preparation result of ``pair`` (live mode), from memory."""
        st: MixinState | None = getattr(self, "_bbm_st", None)
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
                st.live.maintain(pairs, self.bybit_margin_loop_requests, open_trades())
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
        st = MixinState(started=True)
        self._bbm_st = st
        settings = settings_or_none(self.config, self.bybit_margin)
        if settings is None:
            return
        st.settings, st.active = settings, True
        runmode = self._bbm_runmode()
        live = runmode is RunMode.LIVE
        problem = compat.runtime_problem()
        if problem is not None:
            st.fail_closed(problem, live, self._bbm_notify)
            return
        client = internals.bot_client(self.dp)
        if client is None:
            st.fail_closed(internals.NO_CLIENT, live, self._bbm_notify)
            return
        pairs = self._bbm_whitelist()
        configured = self.config.get("exchange", {}).get("pair_whitelist", [])
        startup.check_markets(st, settings, client, pairs, configured)
        if not live:
            targets = [settings.target_for(pair) for pair in pairs]
            logger.info(plan_table(targets, runmode.value, settings.on_failure))
            return
        startup.start_live(
            st,
            client,
            pairs,
            notify=self._bbm_notify,
            retry=self.bybit_margin_retry,
            user_data_dir=self.config.get("user_data_dir"),
        )

    # -- small helpers ----------------------------------------------------------------------

    def _bbm_notify(self, message: str) -> None:
        """Through freqtrade's RPC (Telegram, webhooks); freqtrade drops it outside live/dry."""
        self.dp.send_msg(redact.scrub(message))

    def _bbm_state(self) -> MixinState:
        st: MixinState | None = getattr(self, "_bbm_st", None)
        if st is None:
            st = MixinState()
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
