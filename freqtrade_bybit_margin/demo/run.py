"""
``freqtrade-bybit-margin demo``: the whole plugin, proven offline.

Starts the local Bybit V5 simulator, runs the real freqtrade bot LIVE (fake keys) with the
packaged sample strategy and config until positions open or the time limit passes, stops it,
and prints per pair: prepared at (mechanism, mode, leverage, result) -> first order at ->
position. Exit code 0 only if every traded pair was prepared before its first order and the
plugin logged no error; a failed run keeps its folder and says where it is.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape

from freqtrade_bybit_margin.config import MarginSettings, load_settings
from freqtrade_bybit_margin.console import add_simulator_options, bounded, make_console
from freqtrade_bybit_margin.constants import AccountType, Category
from freqtrade_bybit_margin.demo.bot_runner import BotRun, run_bot
from freqtrade_bybit_margin.demo.logs import existing_logs, last_errors
from freqtrade_bybit_margin.demo.report import print_report
from freqtrade_bybit_margin.demo.sample import CONFIG, sample_config
from freqtrade_bybit_margin.demo.timeline import DemoPair, timeline
from freqtrade_bybit_margin.demo.verdict import judge
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import Contract, mechanism_for
from freqtrade_bybit_margin.report import fmt_leverage


__all__ = ["DESCRIPTION", "add_arguments", "demo_pairs", "run"]

BASE_SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "LINK", "AVAX")
PAIR_COUNT = (1, 40)
DEFAULT_SECONDS = 75.0
MAX_SECONDS = 89.0
EXIT_OK, EXIT_FAILED = 0, 1
DESCRIPTION = (
    "Run the real freqtrade bot live against the local Bybit simulator and show when each pair "
    f"was set. It stops once every pair holds a position, after {DEFAULT_SECONDS:.0f} s by "
    f"default (--timeout, at most {MAX_SECONDS:.0f} s)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """
    The ``demo`` command's options.

    :param parser: its sub-parser
    """
    add_simulator_options(parser)
    parser.add_argument(
        "--pair-count",
        type=bounded(int, *PAIR_COUNT, "a whole number"),
        default=4,
        metavar="N",
        help=f"pairs in the whitelist ({PAIR_COUNT[0]}-{PAIR_COUNT[1]}, default 4)",
    )
    parser.add_argument(
        "--timeout",
        type=bounded(float, 1, MAX_SECONDS, "seconds"),
        default=DEFAULT_SECONDS,
        metavar="SECONDS",
        help=f"stop the bot after this many seconds at the latest (default "
        f"{DEFAULT_SECONDS:.0f}, at most {MAX_SECONDS:.0f})",
    )
    parser.add_argument(
        "--user-data",
        type=Path,
        default=None,
        help="folder with config.json and strategies/ (default: the packaged sample, the same "
        "as the repository's user_data/)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's folder and logs")


def demo_pairs(count: int) -> list[str]:
    """
    The first ``count`` USDT perpetuals of the simulator (generated ones past the eight named).

    :param count: how many
    :return: pair names
    """
    pairs = [f"{base}/USDT:USDT" for base in BASE_SYMBOLS[:count]]
    pairs += [f"S{index:03d}/USDT:USDT" for index in range(1, count - len(pairs) + 1)]
    return pairs


def _demo_pair(pair: str, settings: MarginSettings, account: AccountType) -> DemoPair:
    symbol = pair.split("/")[0] + "USDT"
    contract = Contract(pair, symbol, Category.LINEAR, "USDT")
    return DemoPair(settings.target_for(pair), symbol, mechanism_for(account, contract))


def run(args: argparse.Namespace) -> int:
    """
    Run the demo.

    :param args: the parsed command line
    :return: the process exit code
    """
    from freqtrade_bybit_margin.simulator import (
        DEFAULT_API_KEY,
        DEFAULT_API_SECRET,
        BybitSimulator,
        ThreadedSimulatorServer,
    )

    console = make_console(sys.stdout)
    config = _config(args.user_data)
    account = AccountType(args.account)
    settings = load_settings({**config, "dry_run": False})
    pairs = [_demo_pair(p, settings, account) for p in demo_pairs(args.pair_count)]
    sim = BybitSimulator(
        account_type=account.value,
        latency_ms=args.latency_ms,
        extra_linear_symbols=max(0, args.pair_count - len(BASE_SYMBOLS)),
    )
    console.print(
        f"Simulated Bybit ({account.value}) + freqtrade LIVE with {len(pairs)} pairs; "
        f"up to {args.timeout:.0f} s ...",
        soft_wrap=True,
    )
    with ThreadedSimulatorServer(sim) as server:
        result = run_bot(
            sim,
            server.url,
            [p.target.pair for p in pairs],
            until=lambda s: all(
                float(s.symbol_state(p.symbol)["position_size"]) > 0 for p in pairs
            ),
            timeout=args.timeout,
            user_data=args.user_data,
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
        )
        positions = {p.symbol: _position(sim, p.symbol) for p in pairs}
    rows = timeline(result, pairs, positions)
    verdict = judge(result, rows, DEFAULT_API_SECRET)
    print_report(console, result, rows, account.value, verdict)
    if not verdict.ok:
        _print_errors(console, result.workdir)
    _keep_or_remove(console, result, keep=args.keep or not verdict.ok)
    return EXIT_OK if verdict.ok else EXIT_FAILED


def _config(user_data: Path | None) -> dict[str, Any]:
    """The sample config, or ``--user-data``'s.

    :raise ConfigError: ``--user-data`` has no config
    """
    if user_data is None:
        return sample_config()
    path = user_data / CONFIG
    if not path.is_file():
        raise ConfigError(
            f"--user-data: {path} not found; allowed: a folder with {CONFIG} and strategies/."
        )
    config: dict[str, Any] = json.loads(path.read_text())
    return config


def _print_errors(console: Any, workdir: Path) -> None:
    """freqtrade's last error lines, from the log files that exist."""
    for name, lines in last_errors(workdir):
        console.print(f"freqtrade's last error lines ({name}):", soft_wrap=True)
        for line in lines:
            console.print(escape(f"  {line}"), soft_wrap=True)


def _keep_or_remove(console: Any, result: BotRun, *, keep: bool) -> None:
    if keep:
        logs = existing_logs(result.workdir)
        said = f" (logs: {', '.join(logs)})" if logs else " (freqtrade wrote no log)"
        console.print(f"Run folder kept: {result.workdir}{said}", soft_wrap=True)
    else:
        shutil.rmtree(result.workdir, ignore_errors=True)


def _position(sim: Any, symbol: str) -> str:
    state = sim.symbol_state(symbol)
    size = float(state["position_size"])
    if size <= 0:
        return "-"
    leverage = fmt_leverage(float(state.get("position_leverage") or state["leverage"]))
    return f"{state.get('position_side', '')} {size:g} @ {leverage}".strip()
