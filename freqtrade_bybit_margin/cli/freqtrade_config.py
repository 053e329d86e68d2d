"""
The CLI's view of a freqtrade setup: config files, credentials and the strategy's attribute.

Configs are read with freqtrade's own loader (``load_from_files``: several ``-c``, comments and
trailing commas, ``add_config_files``) and then layered with ``FREQTRADE__...`` environment
variables, exactly as ``Configuration.load_config`` starts. The rest of freqtrade's start-up
(logging set-up, data directories, exchange instance) is left out on purpose: it has side effects
and makes requests the CLI does not need.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.config import SECTION
from freqtrade_bybit_margin.errors import ConfigError


__all__ = [
    "LoadedConfig",
    "api_key_of",
    "check_credentials",
    "config_files",
    "load_config",
    "redact",
    "strategy_defaults",
]

DEFAULT_USERDIR = "user_data"
DEFAULT_CONFIG = "config.json"
PRIVATE_CONFIG = "config-private.json"

#: Where freqtrade's ``exchange`` section may hold the API key, in the order freqtrade reads them.
KEY_NAMES = ("api_key", "apiKey", "key")
#: Every credential of the ``exchange`` section, never printed.
SECRET_NAMES = (*KEY_NAMES, "secret", "password", "private_key", "privateKey")

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


def config_files(configs: Sequence[str] | None, userdir: str | None) -> list[str]:
    """
    The config files to read.

    The ``-c`` arguments, or ``<userdir>/config.json`` (plus ``<userdir>/config-private.json``
    when it exists next to it).

    :param configs: ``-c/--config`` values, in order
    :param userdir: ``--userdir`` (default ``user_data``)
    :return: file names, in order
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

    :param files: config files, later ones override earlier ones
    :return: the merged config, the files read and the credentials in it
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
    secrets = tuple(str(exchange[name]) for name in SECRET_NAMES if exchange.get(name))
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
    """
    Replace every credential value in ``text`` with ``***``.

    :param text: what is about to be printed
    :param secrets: credential values (:attr:`LoadedConfig.secrets`)
    :return: ``text`` without them
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def api_key_of(exchange: Mapping[str, Any]) -> Any:
    """
    The API key of freqtrade's ``exchange`` section, under any of the names freqtrade reads.

    :param exchange: the ``exchange`` section
    :return: the key, or None
    """
    return next((exchange[name] for name in KEY_NAMES if name in exchange), None)


def check_credentials(config: Mapping[str, Any]) -> None:
    """
    Signed requests need ``exchange.key`` and ``exchange.secret``.

    :param config: the merged config
    :raise ConfigError: naming what is missing and how to add it
    """
    exchange = config.get("exchange") or {}
    key = api_key_of(exchange)
    missing = [
        name for name, value in (("key", key), ("secret", exchange.get("secret"))) if not value
    ]
    if missing:
        names = " and ".join(f"exchange.{name}" for name in missing)
        raise ConfigError(
            f"{names}: missing; this command reads your account, so it needs API keys: "
            f"{KEYS_HOWTO}."
        )


def strategy_defaults(
    config: Mapping[str, Any], userdir: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """
    The strategy's class attribute ``bybit_margin``, which the config section overrides.

    The class is found where freqtrade's resolver looks (``strategy_path``, then
    ``<userdir>/strategies``) and read without being instantiated: the mixin checks the
    configuration when the strategy is built, and a bad attribute must be reported, not lost.

    :param config: the merged config (``strategy`` names the class)
    :param userdir: ``--userdir``, where ``strategies/`` is looked up
    :return: (the attribute or None, a note for the user or None)
    :raise ConfigError: the attribute is not a dict
    """
    name = config.get("strategy")
    if not name:
        return None, None
    from freqtrade.constants import USERPATH_STRATEGIES
    from freqtrade.resolvers.strategy_resolver import StrategyResolver

    probe = {
        **config,
        "user_data_dir": Path(userdir or config.get("user_data_dir") or DEFAULT_USERDIR),
    }
    extra = [str(config["strategy_path"])] if config.get("strategy_path") else []
    paths = StrategyResolver.build_search_paths(
        probe, user_subdir=USERPATH_STRATEGIES, extra_dirs=extra
    )
    try:
        found = _strategy_class(str(name), paths)
    except Exception as error:  # a user's strategy file may fail to import in any way
        return None, f"strategy {name}: could not be read ({error}); using the config only."
    if found is None:
        where = ", ".join(str(path) for path in paths)
        return None, (
            f"strategy {name}: not found in {where}; its {SECTION} attribute is not taken into "
            "account."
        )
    value = getattr(found, SECTION, None)
    if value is not None and not isinstance(value, dict):
        raise ConfigError(
            f"{name}.{SECTION}: {value!r} (in the strategy attribute) is not allowed; allowed: "
            "a dict like the config section."
        )
    return value, None


def _strategy_class(name: str, paths: Sequence[Path]) -> type | None:
    """The class ``name`` from the first ``*.py`` file that defines it, as freqtrade finds it."""
    for directory in paths:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.py")):
            if f"class {name}(" not in path.read_text(encoding="utf-8", errors="replace"):
                continue
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(directory))
            try:
                spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(directory))
            found = getattr(module, name, None)
            if isinstance(found, type):
                return found
    return None
