"""
The CLI's view of a freqtrade setup: config files, credentials, the ccxt client, the pairs.

Configs are read with freqtrade's own loader (``load_from_files``: several ``-c``, comments and
trailing commas, ``add_config_files``) and then layered with ``FREQTRADE__...`` environment
variables, exactly as ``Configuration.load_config`` starts. The rest of freqtrade's start-up
(logging set-up, data directories, exchange instance) is left out on purpose: it has side effects
and makes requests the CLI does not need.

The ccxt client is a plain SYNC ``ccxt.bybit`` built like ``Exchange._init_ccxt`` builds
freqtrade's own: credentials from ``exchange.key/secret/password/uid``, ``ccxt_config`` and
``ccxt_sync_config`` merged over freqtrade's Bybit futures defaults, and
``exchange.demo_trading`` honoured.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ccxt

from freqtrade_bybit_margin.config import SECTION
from freqtrade_bybit_margin.errors import ConfigError


logger = logging.getLogger(__name__)

DEFAULT_USERDIR = "user_data"
DEFAULT_CONFIG = "config.json"
PRIVATE_CONFIG = "config-private.json"
STATIC_PAIRLIST = "StaticPairList"

KEYS_HOWTO = (
    "add them to a config-private.json layered with a second -c "
    '(e.g. {"exchange": {"key": "...", "secret": "..."}}), or set the environment variables '
    "FREQTRADE__EXCHANGE__KEY and FREQTRADE__EXCHANGE__SECRET"
)


@dataclass(frozen=True)
class LoadedConfig:
    """A merged freqtrade config and where it came from.

    :param config: the merged config (files, then environment variables)
    :param files: config files read, in order
    :param secrets: credential values that must never be printed
    """

    config: dict[str, Any]
    files: tuple[str, ...]
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class PairSelection:
    """The pairs a command works on, and what the user should know about how they were found.

    :param pairs: freqtrade pair names, in whitelist order
    :param notes: one line each, printed above the table and listed in ``--json``
    """

    pairs: list[str]
    notes: list[str] = field(default_factory=list)


def config_files(configs: Sequence[str] | None, userdir: str | None) -> list[str]:
    """
    The config files to read: the ``-c`` arguments, or ``<userdir>/config.json`` (plus
    ``<userdir>/config-private.json`` when it exists next to it).

    :param configs: ``-c/--config`` values, in order
    :param userdir: ``--userdir`` (default ``user_data``)
    :raise ConfigError: no ``-c`` given and no default config file exists
    """
    if configs:
        return list(configs)
    base = Path(userdir or DEFAULT_USERDIR)
    default = base / DEFAULT_CONFIG
    if not default.is_file():
        raise ConfigError(
            f"config: no -c/--config given and {default} does not exist; "
            "pass your freqtrade config with -c path/to/config.json."
        )
    files = [str(default)]
    private = base / PRIVATE_CONFIG
    if private.is_file():
        files.append(str(private))
    return files


def load_config(files: Sequence[str]) -> LoadedConfig:
    """
    Read and merge config files with freqtrade's loader, then ``FREQTRADE__...`` variables.

    :raise ConfigError: a file is missing or not valid JSON (with freqtrade's own hint)
    """
    # Imported here: freqtrade's configuration package is slow to import.
    from freqtrade.configuration.environment_vars import environment_vars_to_dict
    from freqtrade.configuration.load_config import load_from_files
    from freqtrade.exceptions import OperationalException
    from freqtrade.misc import deep_merge_dicts

    try:
        config: dict[str, Any] = load_from_files(list(files))
    except OperationalException as error:  # ConfigurationError is a subclass
        raise ConfigError(f"config {_failing_file(files)}: {error}") from None
    config = deep_merge_dicts(environment_vars_to_dict(), config)
    exchange = config.get("exchange")
    if not isinstance(exchange, dict):
        raise ConfigError(f"exchange: {exchange!r} is not allowed; allowed: an object.")
    secrets = tuple(
        str(exchange[name])
        for name in ("key", "api_key", "apiKey", "secret", "password", "private_key", "privateKey")
        if exchange.get(name)
    )
    return LoadedConfig(config, tuple(config.get("config_files") or files), secrets)


def _failing_file(files: Sequence[str]) -> str:
    """The first of ``files`` freqtrade's loader cannot read (freqtrade's message omits it)."""
    from freqtrade.configuration.load_config import load_config_file
    from freqtrade.exceptions import OperationalException

    for name in files:
        try:
            load_config_file(name)
        except OperationalException:
            return name
    return ", ".join(files)


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every credential value in ``text`` with ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def check_credentials(config: Mapping[str, Any]) -> None:
    """
    Signed requests need ``exchange.key`` and ``exchange.secret``.

    :raise ConfigError: naming what is missing and how to add it
    """
    exchange = config.get("exchange") or {}
    key = exchange.get("api_key", exchange.get("apiKey", exchange.get("key")))
    missing = [
        name for name, value in (("key", key), ("secret", exchange.get("secret"))) if not value
    ]
    if missing:
        names = " and ".join(f"exchange.{name}" for name in missing)
        raise ConfigError(
            f"{names}: missing; this command reads your account, so it needs API keys: "
            f"{KEYS_HOWTO}."
        )


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
        "apiKey": exchange_conf.get(
            "api_key", exchange_conf.get("apiKey", exchange_conf.get("key"))
        ),
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
    """Where the requests go: Bybit mainnet, demo trading, testnet, or a custom URL (e.g. the
    local simulator)."""
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


def strategy_defaults(
    config: Mapping[str, Any], userdir: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """
    The strategy's class attribute ``bybit_margin``, which the config section overrides key by
    key. The strategy is loaded with freqtrade's own resolver, as ``freqtrade trade`` does.

    :return: (the attribute or None, a note for the user or None)
    """
    name = config.get("strategy")
    if not name:
        return None, None
    from freqtrade.exceptions import OperationalException
    from freqtrade.resolvers.strategy_resolver import StrategyResolver

    probe = deepcopy(dict(config))
    probe["user_data_dir"] = Path(userdir or config.get("user_data_dir") or DEFAULT_USERDIR)
    try:
        strategy = StrategyResolver.load_strategy(probe)
    except OperationalException as error:
        return None, f"strategy {name}: {error}; its {SECTION} attribute is not taken into account."
    except Exception as error:  # a user's strategy file may fail to import in any way
        return None, f"strategy {name}: could not be read ({error}); using the config only."
    value = getattr(type(strategy), SECTION, None)
    if value is not None and not isinstance(value, dict):
        raise ConfigError(
            f"{name}.{SECTION}: {value!r} is not allowed; allowed: a dict like the config section."
        )
    return value, None


def _contract_pairs(markets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [
        symbol
        for symbol, market in markets.items()
        if market.get("contract") and (market.get("linear") or market.get("inverse"))
    ]


def _expand(patterns: Sequence[str], available: list[str]) -> list[str]:
    from freqtrade.plugins.pairlist.pairlist_helpers import expand_pairlist

    try:
        return list(expand_pairlist(list(patterns), available, keep_invalid=True))
    except ValueError as error:
        raise ConfigError(f"pairs: {error}") from None


def select_pairs(
    config: Mapping[str, Any],
    markets: Mapping[str, Mapping[str, Any]],
    requested: Sequence[str] | None = None,
) -> PairSelection:
    """
    The pairs to work on: ``--pairs`` if given, otherwise the config's whitelist.

    StaticPairList: ``exchange.pair_whitelist`` (regular expressions expanded against Bybit's
    contract markets) minus ``exchange.pair_blacklist``. A dynamic pairlist picks its pairs from
    the exchange's answer at run time; the CLI then uses ``exchange.pair_whitelist`` and says so.
    :param config: merged freqtrade config
    :param markets: ccxt markets
    :param requested: ``--pairs`` values (names or regular expressions)
    :raise ConfigError: nothing left to work on
    """
    exchange = config.get("exchange") or {}
    available = _contract_pairs(markets)
    notes: list[str] = []
    whitelist = _expand(exchange.get("pair_whitelist") or [], available)
    blacklist = set(_expand(exchange.get("pair_blacklist") or [], available))
    methods = [str(p.get("method")) for p in config.get("pairlists") or [] if isinstance(p, dict)]
    first = methods[0] if methods else STATIC_PAIRLIST
    if first != STATIC_PAIRLIST:
        notes.append(
            f"pairlist {first} is dynamic: the bot takes its pairs from the exchange's current "
            f"answer at run time. Using exchange.pair_whitelist from the config "
            f"({len(whitelist)} pairs); pairs that join later are prepared by the strategy "
            "mixin before their first entry."
        )
    if requested:
        pairs = _expand(requested, available)
        outside = [p for p in pairs if p not in whitelist]
        if outside and whitelist:
            notes.append(f"not in the config's whitelist: {', '.join(outside)}")
    else:
        pairs = [p for p in whitelist if p not in blacklist]
        dropped = [p for p in whitelist if p in blacklist]
        if dropped:
            notes.append(f"blacklisted, left out: {', '.join(dropped)}")
    unknown = [p for p in pairs if p not in markets]
    not_contract = [p for p in pairs if p in markets and p not in available]
    if unknown:
        notes.append(f"no such Bybit market, left out: {', '.join(unknown)}")
    if not_contract:
        notes.append(f"not a futures market, left out: {', '.join(not_contract)}")
    pairs = list(dict.fromkeys(p for p in pairs if p in available))
    if not pairs:
        where = "--pairs" if requested else "exchange.pair_whitelist"
        raise ConfigError(
            f"{where}: no Bybit futures pair to work on"
            + (f" ({'; '.join(notes)})" if notes else "")
            + "; allowed: pairs such as 'BTC/USDT:USDT'"
            + ("." if requested else " (or pass --pairs).")
        )
    return PairSelection(pairs, notes)
