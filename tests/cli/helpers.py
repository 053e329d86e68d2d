"""Helpers for the CLI tests: configs layered over the sample, ``run``, a fake terminal."""

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.demo.overlay import simulator_exchange
from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET


REPO = Path(__file__).resolve().parents[2]
USERDIR = REPO / "user_data"
REPO_CONFIG = USERDIR / "config.json"
PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT"]
TARGETS = {"BTC/USDT:USDT": 5.0, "ETH/USDT:USDT": 4.0, "SOL/USDT:USDT": 3.0, "XRP/USDT:USDT": 3.0}
WRITE_PATHS = (
    "/v5/position/switch-isolated",
    "/v5/position/set-leverage",
    "/v5/account/set-margin-mode",
)

MINIMAL_CONFIG: dict[str, Any] = {
    "trading_mode": "futures",
    "margin_mode": "isolated",
    "stake_currency": "USDT",
    "exchange": {"name": "bybit", "pair_whitelist": PAIRS},
    "pairlists": [{"method": "StaticPairList"}],
    "bybit_margin": {
        "leverage": 3,
        "pair_leverage": {"BTC/USDT:USDT": 5, "ETH/.*": 4},
    },
}

Server = Callable[..., Any]


def no_throttle_layer(tmp_path: Path) -> str:
    """A config layer that turns ccxt's own throttle off (pacing is the service's job)."""
    layer = tmp_path / "no-throttle.json"
    layer.write_text(json.dumps({"exchange": {"ccxt_config": {"enableRateLimit": False}}}))
    return str(layer)


def write_config(
    tmp_path: Path,
    url: str,
    *,
    key: str = DEFAULT_API_KEY,
    secret: str = DEFAULT_API_SECRET,
    extra: dict[str, Any] | None = None,
) -> list[str]:
    """The repo's config (or a minimal one) layered with the server, keys and ``extra``."""
    base = REPO_CONFIG if REPO_CONFIG.is_file() else tmp_path / "base.json"
    if base != REPO_CONFIG:
        base.write_text(json.dumps(MINIMAL_CONFIG))
    overlay: dict[str, Any] = {
        "dry_run": False,
        "exchange": simulator_exchange(url, api_key=key, api_secret=secret),
    }
    overlay["exchange"]["pair_whitelist"] = PAIRS
    # Pacing is the service's job; ccxt's own throttle only slows the tests down.
    overlay["exchange"]["ccxt_config"]["enableRateLimit"] = False
    layer = tmp_path / "sim.json"
    layer.write_text(json.dumps(overlay))
    files = [str(base), str(layer)]
    if extra is not None:
        more = tmp_path / "extra.json"
        more.write_text(json.dumps(extra))
        files.append(str(more))
    return files


def run(files: list[str], *args: str) -> int:
    """``main([command, -c file ..., --userdir <repo's user_data>, *rest])``."""
    argv = [args[0]]
    for name in files:
        argv += ["-c", name]
    return main([*argv, "--userdir", str(USERDIR), *args[1:]])


def writes(sim: Any) -> list[Any]:
    """Every POST the simulator answered."""
    return [entry for entry in sim.journal if entry.method == "POST"]


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True
