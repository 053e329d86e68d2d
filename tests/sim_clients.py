"""A sync ccxt client on an in-process simulator: the one way tests and benchmarks make one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    mount_session,
)


#: What a freqtrade process started by a test loads markets of (``run_bot(market_types=...)``):
#: the futures categories only; ccxt's option pages cost 0.6 s of its pacing per bot start.
FUTURES_MARKETS = ("linear", "inverse")


def sim_client(
    sim: BybitSimulator,
    *,
    types: Sequence[str] = ("linear", "inverse"),
    throttle: bool = False,
    probe: bool = True,
    clock: Callable[[], int] | None = None,
) -> Any:
    """
    A ``ccxt.bybit`` with the simulator's keys, answered by ``sim``, markets loaded.

    :param throttle: ccxt's own client-side rate limiter, as freqtrade runs it (off in tests:
        it only slows them down; the service paces its own requests)
    :param probe: run ccxt's account probe now (as freqtrade does at startup)
    :param clock: ccxt's request timestamps (epoch ms): the simulator's clock when it has one
    """
    exchange = ccxt.bybit(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": DEFAULT_API_SECRET,
            "enableRateLimit": throttle,
            "options": {"fetchMarkets": {"types": list(types)}},
        }
    )
    if clock is not None:
        exchange.nonce = clock  # bybit signs X-BAPI-TIMESTAMP with nonce()
    mount_session(sim, exchange.session)
    exchange.load_markets()
    if probe:
        exchange.is_unified_enabled()
    return exchange


def sim_service(exchange: Any, **kwargs: Any) -> MarginService:
    """The service on a client from :func:`sim_client`, reading Bybit's rate-limit headers from
    the client's answers (as the bot's and the CLI's services do)."""
    return MarginService(exchange, tap=HeaderTap.on(exchange), **kwargs)
