"""
The whitelist of a dynamic pairlist, resolved the way freqtrade resolves it (``freqtrade
test-pairlist``): freqtrade's own ``PairListManager`` on a freqtrade ``Exchange`` built from the
config WITHOUT credentials, so that only public market data (markets, tickers, candles) is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from freqtrade_bybit_margin.cli.freqtrade_config import SECRET_NAMES
from freqtrade_bybit_margin.errors import ConfigError


__all__ = ["STATIC_PAIRLIST", "is_dynamic", "resolve_whitelist"]

STATIC_PAIRLIST = "StaticPairList"


def pairlist_methods(config: Mapping[str, Any]) -> list[str]:
    """The ``pairlists`` handlers' names, in order (freqtrade's default: StaticPairList)."""
    methods = [str(p.get("method")) for p in config.get("pairlists") or [] if isinstance(p, dict)]
    return methods or [STATIC_PAIRLIST]


def is_dynamic(config: Mapping[str, Any]) -> bool:
    """True unless the pairlist is ``StaticPairList`` alone (then the whitelist is the config's)."""
    return pairlist_methods(config) != [STATIC_PAIRLIST]


def resolve_whitelist(config: Mapping[str, Any]) -> list[str]:
    """
    The whitelist freqtrade's pairlist handlers produce right now, from public data only.

    :param config: the merged freqtrade config
    :return: pair names, in the pairlist's order
    :raise ConfigError: freqtrade refuses the pairlist configuration
    :raise ccxt.NetworkError: Bybit's markets could not be read
    """
    import ccxt
    from freqtrade.enums import CandleType, RunMode, TradingMode
    from freqtrade.exceptions import OperationalException
    from freqtrade.persistence import FtNoDBContext
    from freqtrade.plugins.pairlistmanager import PairListManager
    from freqtrade.resolvers import ExchangeResolver

    probe: dict[str, Any] = deepcopy(dict(config))
    exchange_conf = probe.setdefault("exchange", {})
    for name in SECRET_NAMES:
        exchange_conf.pop(name, None)
    mode = probe.get("trading_mode") or TradingMode.FUTURES.value
    trading_mode = TradingMode(getattr(mode, "value", mode))
    probe.update(
        dry_run=True,  # freqtrade drops credentials in dry-run: no signed request is possible
        runmode=RunMode.UTIL_EXCHANGE,
        candle_type_def=CandleType.get_default(trading_mode),
    )
    exchange_conf.setdefault("pair_whitelist", [])
    exchange_conf.setdefault("pair_blacklist", [])
    try:
        exchange = ExchangeResolver.load_exchange(probe, validate=False)
    except OperationalException as error:
        raise ConfigError(f"exchange: {error}") from None
    try:
        exchange.reload_markets(True, load_leverage_tiers=False)
        if not exchange.markets:
            raise ccxt.NetworkError("Bybit's markets could not be read for the pairlist")
        with FtNoDBContext():
            try:
                manager = PairListManager(exchange, probe)
                manager.refresh_pairlist()
            except OperationalException as error:
                raise ConfigError(f"pairlists: {error}") from None
        return list(manager.whitelist)
    finally:
        exchange.close()
