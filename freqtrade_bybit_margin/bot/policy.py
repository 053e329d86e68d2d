"""
The mixin's policy: everything the mixin keeps on the strategy instance (:class:`MixinState`)
and the decisions its callbacks delegate here: whether the config enables it, its settings, the
``pair_leverage`` keys against the whitelist, leverage caps, the entry verdict, failing closed.

No freqtrade internals here (they are in :mod:`.internals`); freqtrade's public exception
classes only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from freqtrade.exceptions import ConfigurationError, OperationalException

from freqtrade_bybit_margin.bot.gate import EntryGate, LogOnce, Verdict
from freqtrade_bybit_margin.bot.internals import BotClient
from freqtrade_bybit_margin.bot.tiers import TierGaps
from freqtrade_bybit_margin.config import (
    SECTION,
    Enablement,
    MarginSettings,
    OnFailure,
    OverMax,
    check_pair_keys,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import finite_decimal, fmt_leverage
from freqtrade_bybit_margin.model import PairTarget
from freqtrade_bybit_margin.service.over_max import statically_checked


if TYPE_CHECKING:
    from freqtrade_bybit_margin.bot.live import LiveController


__all__ = [
    "BybitMarginConfigurationError",
    "BybitMarginSetupError",
    "MixinState",
    "settings_or_none",
]

logger = logging.getLogger("freqtrade_bybit_margin.bot")

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


class BybitMarginSetupError(OperationalException):  # type: ignore[misc]
    """A ``bybit_margin`` setting refused when freqtrade builds the strategy: freqtrade logs the
    message in one line and exits 2, before any further request."""


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
    tiers: TierGaps | None = None
    """Pairs freqtrade has no leverage tiers for (live): refused, or filled (``fill_tiers``)."""

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
        if self.tiers is not None:
            self.tiers.check(pairs)
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

    def limit_checked(self, pairs: Sequence[str], markets: Mapping[str, Any]) -> list[str]:
        """The pairs whose leverage the startup check judges against their market's filter
        (under ``over_max: clamp`` a pair above its market's maximum is set to it instead)."""
        settings = self.settings
        if settings is None:
            return list(pairs)
        clamp = settings.over_max is OverMax.CLAMP
        return statically_checked(map(settings.target_for, pairs), markets, clamp=clamp)

    def watch_tiers(
        self, client: BotClient, notify: Callable[[str], None], pairs: Sequence[str]
    ) -> None:
        """Live: the pairs freqtrade has no leverage tiers for, refused or filled
        (``fill_tiers``); checked now and whenever the whitelist changes."""
        if self.settings is not None and self.live is not None:
            self.tiers = TierGaps(self.settings, client, self.live.service, notify, self.say)
            self.tiers.check(pairs)

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
        gap = self.tiers.verdict(pair) if self.tiers is not None else None
        if gap is not None:
            return gap
        if leverage is None:
            leverage = live.leverage_for(pair)
            self.say(
                ("no-leverage", pair),
                logging.INFO,
                f"Bybit margin: BybitMarginMixin.leverage() was not called for {pair} (an entry "
                f"forced with its own leverage, or a strategy overriding leverage() without "
                f"super()); the entry is checked at its configured {fmt_leverage(leverage)} "
                "here, and its order at the order's own leverage.",
            )
        return live.check_entry(PairTarget(pair, live.settings.margin_mode, leverage))

    def entry_leverage(self, settings: MarginSettings, pair: str, max_leverage: float) -> float:
        """The configured leverage of ``pair`` capped by ``max_leverage``, kept for the gate."""
        live = self.live
        wanted = live.leverage_for(pair) if live is not None else settings.leverage_for(pair)
        cap = finite_decimal(max_leverage) or Decimal(1)
        used = min(wanted, cap)
        if used < wanted and not (self.tiers is not None and self.tiers.refused(pair)):
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
