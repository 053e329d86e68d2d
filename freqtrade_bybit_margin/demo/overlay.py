"""
Config overlays that point a freqtrade config at the local Bybit simulator.

Layered over a freqtrade config with a second ``-c``: the simulator's fake keys, ccxt's URLs
(both of freqtrade's ccxt clients read ``ccxt_config``), no websocket (the simulator serves
REST only) and no demo-trading host switch, which would send ccxt back to Bybit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.simulator import ccxt_urls


__all__ = ["bot_overlay", "simulator_exchange", "simulator_overlay"]


def simulator_exchange(url: str, *, api_key: str, api_secret: str) -> dict[str, Any]:
    """
    The ``exchange`` section that sends every request to the simulator at ``url``.

    :param url: the simulator's base URL (``http://127.0.0.1:<port>``)
    :param api_key: the simulator's API key
    :param api_secret: the simulator's API secret
    :return: a freqtrade ``exchange`` section
    """
    return {
        "name": "bybit",
        "key": api_key,
        "secret": api_secret,
        "enable_ws": False,
        "demo_trading": False,
        "ccxt_config": {"urls": {"api": ccxt_urls(url)}},
    }


def simulator_overlay(url: str, *, api_key: str, api_secret: str, database: Path) -> dict[str, Any]:
    """
    The overlay the ``simulator`` command writes: live trading against the simulator, with a
    trade database of its own (a new one per simulator run: a restarted simulator knows none of
    the trades a former run's database holds, and a bot's real database is never touched).

    :param url: the simulator's base URL
    :param api_key: the simulator's API key
    :param api_secret: the simulator's API secret
    :param database: the trade database file for this run
    :return: the overlay config
    """
    return {
        "dry_run": False,
        "db_url": f"sqlite:///{database.resolve()}",
        "exchange": simulator_exchange(url, api_key=api_key, api_secret=api_secret),
    }


def bot_overlay(
    url: str,
    *,
    api_key: str,
    api_secret: str,
    pairs: Sequence[str],
    workdir: Path,
    extra: dict[str, Any] | None = None,
    market_types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """
    The overlay the demo's bot runs with: live against the simulator, a 1m timeframe, a fast
    loop, ``pairs`` as a static whitelist, everything it writes inside ``workdir``.

    :param url: the simulator's base URL
    :param api_key: the simulator's API key
    :param api_secret: the simulator's API secret
    :param pairs: the whitelist
    :param workdir: the run's folder
    :param extra: top-level keys set last (replacing, not merging)
    :param market_types: the only Bybit categories ccxt loads markets of (its
        ``fetchMarkets.types``); default: ccxt's own, every category, as a user's bot does. A
        test that needs none of the others saves ccxt's pacing of their requests (six option
        pages: 0.6 s per bot start)
    :return: the overlay config
    """
    exchange = simulator_exchange(url, api_key=api_key, api_secret=api_secret)
    exchange["pair_whitelist"] = list(pairs)
    if market_types is not None:
        exchange["ccxt_config"]["options"] = {"fetchMarkets": {"types": list(market_types)}}
    config: dict[str, Any] = {
        "dry_run": False,
        "initial_state": "running",
        "timeframe": "1m",
        "max_open_trades": len(pairs),
        "db_url": f"sqlite:///{workdir / 'trades.sqlite'}",
        "datadir": str(workdir / "data"),
        "internals": {"process_throttle_secs": 1, "heartbeat_interval": 0},
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
    }
    config.update(extra or {})
    return config
