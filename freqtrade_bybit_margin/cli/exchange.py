"""
The CLI's ccxt client: a plain SYNC ``ccxt.bybit`` built like freqtrade's ``Exchange._init_ccxt``
builds its own, and a label saying where its requests go.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

import ccxt

from freqtrade_bybit_margin.cli.freqtrade_config import api_key_of


__all__ = ["build_exchange", "endpoint_label"]


def build_exchange(config: Mapping[str, Any]) -> Any:
    """
    A sync ``ccxt.bybit`` built the way freqtrade's ``Exchange._init_ccxt`` builds its own.

    freqtrade's Bybit futures defaults (``defaultType`` swap, ``defaultSettle`` = stake
    currency), then ``exchange.ccxt_config``, then ``exchange.ccxt_sync_config`` (later wins),
    credentials from ``exchange.key/secret/password/uid``; ``exchange.demo_trading`` switches
    ccxt to Bybit's demo trading host, and ccxt's own ``sandbox`` option (in ``ccxt_config``)
    to the testnet.

    :param config: the merged freqtrade config
    :return: a ``ccxt.bybit`` instance; no request made yet
    """
    from freqtrade.misc import deep_merge_dicts

    exchange_conf = config.get("exchange") or {}
    defaults: dict[str, Any] = {
        "options": {
            "defaultType": "swap",
            # The plugin deals with contract markets only: skip spot and option listings.
            "fetchMarkets": {"types": ["linear", "inverse"]},
        }
    }
    if config.get("stake_currency"):
        defaults["options"]["defaultSettle"] = config["stake_currency"]
    kwargs = deep_merge_dicts(deepcopy(exchange_conf.get("ccxt_config") or {}), defaults)
    kwargs = deep_merge_dicts(deepcopy(exchange_conf.get("ccxt_sync_config") or {}), kwargs)
    ex_config: dict[str, Any] = {
        "apiKey": api_key_of(exchange_conf),
        "secret": exchange_conf.get("secret"),
        "password": exchange_conf.get("password"),
        "uid": exchange_conf.get("uid"),
    }
    ex_config.update(kwargs)
    api = ccxt.bybit(ex_config)
    if exchange_conf.get("demo_trading", False):
        api.enable_demo_trading(True)
    return api


def endpoint_label(config: Mapping[str, Any], exchange: Any) -> str:
    """
    Where the requests go.

    :param config: the merged freqtrade config
    :param exchange: the client from :func:`build_exchange`
    :return: ``Bybit mainnet``, ``Bybit demo trading``, ``Bybit testnet`` or a custom URL (the
        local simulator)
    """
    exchange_conf = config.get("exchange") or {}
    if exchange_conf.get("demo_trading", False):
        return "Bybit demo trading"
    if getattr(exchange, "isSandboxModeEnabled", False):
        return "Bybit testnet"
    api = (getattr(exchange, "urls", None) or {}).get("api") or {}
    url = str(api.get("private", "")) if isinstance(api, dict) else str(api)
    url = str(exchange.implode_hostname(url)) if hasattr(exchange, "implode_hostname") else url
    if url and "bybit.com" not in url:
        return url
    return "Bybit mainnet"
