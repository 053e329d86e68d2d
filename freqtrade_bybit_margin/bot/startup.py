"""
The mixin's startup once the bot's exchange is known (``bot_start``): the checks that need the
markets (in every run mode), then, live, the controller, the order wrapper, the tier watch, the
first preparation of every pair and what changed since the last run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

from freqtrade_bybit_margin import redact
from freqtrade_bybit_margin.bot import internals, notices
from freqtrade_bybit_margin.bot.keys import KeyGuardedController
from freqtrade_bybit_margin.bot.live import LEV_PREP_GUARDED, open_trades
from freqtrade_bybit_margin.bot.policy import BybitMarginConfigurationError, MixinState
from freqtrade_bybit_margin.config import MarginSettings, check_leverage_limits
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.service import RetryPolicy


__all__ = ["check_markets", "start_live"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")


def check_markets(
    st: MixinState,
    settings: MarginSettings,
    client: internals.BotClient,
    pairs: Sequence[str],
    configured: Sequence[str],
) -> None:
    """
    What needs the markets: each pair's leverage against its market's filter, the
    ``pair_leverage`` keys against the whitelist, configured pairs that are not trading. Bybit
    echoes the key in some errors: from here on it is masked in every log line and RPC message.

    :param pairs: the whitelist
    :param configured: ``exchange.pair_whitelist`` as configured
    :raise BybitMarginConfigurationError: a leverage the market does not allow, a near miss
    """
    redact.register(client.api.apiKey, client.api.secret, client.api.password)
    redact.install_log_filter()
    try:
        check_leverage_limits(settings, st.limit_checked(pairs, client.markets), client.markets)
    except ConfigError as err:
        raise BybitMarginConfigurationError(str(err)) from err
    st.check_pairs(settings, pairs, list(client.markets), startup=True)
    for pair, line in notices.not_trading(configured, client.markets).items():
        st.say(("not-trading", pair), logging.WARNING, line)


def start_live(
    st: MixinState,
    client: internals.BotClient,
    pairs: Sequence[str],
    *,
    notify: Callable[[str], None],
    retry: RetryPolicy,
    user_data_dir: str | os.PathLike[str] | None,
) -> None:
    """Live: the controller behind the key preflight, freqtrade's per-order margin calls
    through it, the tier watch, every pair prepared, and the account type compared with the
    last run's."""
    settings = st.settings
    assert settings is not None
    live = KeyGuardedController(settings, client, notify, st.say, retry=retry)
    st.live = live
    wrapped = internals.wrap_lev_prep(
        client.exchange, live.before_order, lambda pair: pair in open_trades()
    )
    note = LEV_PREP_GUARDED if wrapped else internals.LEV_PREP_UNKNOWN
    st.say(("lev_prep", ""), logging.INFO, note)
    st.watch_tiers(client, notify, pairs)
    live.prepare_all([settings.target_for(p) for p in pairs])
    history = notices.AccountHistory(user_data_dir)
    if line := history.after_start(live.service, client.api.apiKey):
        logger.info(line)
