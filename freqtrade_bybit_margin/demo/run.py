"""
``freqtrade-bybit-margin demo``: the whole plugin, proven offline.

Starts the local Bybit V5 simulator, runs the real freqtrade bot LIVE (fake keys) with the
sample strategy and config until positions open or the time bound passes, stops it, and prints
per pair: prepared at (mechanism, mode, leverage, result) -> first order at -> position.
Exit code 0 only if every traded pair was prepared before its first order.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.config import load_settings
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.bot_runner import (
    MARGIN_WRITES,
    REPO_USER_DATA,
    BotRun,
    PairTimeline,
    plugin_writes,
    run_bot,
    timeline,
)


BASE_SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "LINK", "AVAX")
MAX_SECONDS = 89.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` subcommand's options."""
    parser.add_argument(
        "--account",
        choices=("classic", "uta1", "uta2"),
        default="uta2",
        help="simulated Bybit account type (default: uta2, what live keys are today)",
    )
    parser.add_argument(
        "--pairs", type=int, default=4, help="pairs in the whitelist (1-40, default 4)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="simulated latency per request (ms)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=75.0,
        help=f"stop the bot after this many seconds at the latest (max {MAX_SECONDS:.0f})",
    )
    parser.add_argument(
        "--user-data",
        type=Path,
        default=REPO_USER_DATA,
        help="folder with config.json and strategies/ (default: the repository's user_data)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's folder and logs")


def demo_pairs(count: int) -> list[str]:
    """The first ``count`` USDT perps of the simulator (generated ones past the eight named)."""
    pairs = [f"{base}/USDT:USDT" for base in BASE_SYMBOLS[:count]]
    pairs += [f"S{index:03d}/USDT:USDT" for index in range(1, count - len(pairs) + 1)]
    return pairs


def run(args: argparse.Namespace) -> int:
    """Run the demo; return the process exit code."""
    from freqtrade_bybit_margin.simulator import (
        DEFAULT_API_KEY,
        DEFAULT_API_SECRET,
        BybitSimulator,
        ThreadedSimulatorServer,
    )

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    if not 1 <= args.pairs <= 40:
        console.print(f"--pairs={args.pairs} is out of range; allowed: 1..40")
        return 2
    config_file = args.user_data / "config.json"
    if not config_file.is_file():
        console.print(f"{config_file} not found; pass --user-data with config.json and strategies/")
        return 2
    pairs = demo_pairs(args.pairs)
    base_config = json.loads(config_file.read_text())
    settings = load_settings({**base_config, "dry_run": False})
    targets = {
        pair: (settings.target_for(pair).margin_mode.value, settings.target_for(pair).leverage)
        for pair in pairs
    }
    sim = BybitSimulator(
        account_type=args.account,
        latency_ms=args.latency_ms,
        extra_linear_symbols=max(0, args.pairs - len(BASE_SYMBOLS)),
    )
    console.print(
        f"Simulated Bybit ({args.account}) + freqtrade LIVE with {len(pairs)} pairs; "
        f"up to {min(args.timeout, MAX_SECONDS):.0f} s ..."
    )
    with ThreadedSimulatorServer(sim) as server:
        result = run_bot(
            sim,
            server.url,
            pairs,
            until=lambda s: all(
                float(s.symbol_state(_symbol(p))["position_size"]) > 0 for p in pairs
            ),
            timeout=min(args.timeout, MAX_SECONDS),
            user_data=args.user_data,
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
        )
        positions = {_symbol(p): _position(sim, _symbol(p)) for p in pairs}
    rows = timeline(result, targets, {p: _symbol(p) for p in pairs}, positions)
    ok = _report(console, result, rows, args.account, DEFAULT_API_SECRET)
    if args.keep:
        console.print(f"Run folder kept: {result.workdir}")
    else:
        shutil.rmtree(result.workdir, ignore_errors=True)
    return 0 if ok else 1


def _symbol(pair: str) -> str:
    return pair.split("/")[0] + "USDT"


def _position(sim: Any, symbol: str) -> str:
    state = sim.symbol_state(symbol)
    size = float(state["position_size"])
    if size <= 0:
        return "-"
    leverage = state.get("position_leverage") or state["leverage"]
    return f"{state.get('position_side', '')} {size:g} @ {leverage}x".strip()


MARGIN_PATHS = (*MARGIN_WRITES, Endpoint.SET_MARGIN_MODE)


def _exit_text(code: int | None) -> str:
    if code == 128 + signal.SIGINT:
        return "stopped by the demo (SIGINT)"
    return f"exited by itself with code {code}"


def _seconds(ms: int | None) -> str:
    return "-" if ms is None else f"{ms / 1000:6.2f}s"


def _report(
    console: Console, run: BotRun, rows: list[PairTimeline], account: str, secret: str
) -> bool:
    table = Table(title=f"Margin preparation timeline ({account} account)")
    for column in (
        "pair",
        "mechanism",
        "mode",
        "lev",
        "result",
        "prepared at",
        "first order at",
        "position",
        "ok",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.pair,
            row.mechanism,
            row.target_mode,
            f"{row.target_leverage:g}x",
            row.result,
            _seconds(row.prepared_ms),
            _seconds(row.first_order_ms),
            row.position,
            "yes" if row.prepared_before_order else "NO",
        )
    console.print(table)
    signed = [e for e in run.journal if e.signed]
    bad_signatures = [e for e in signed if e.signature_ok is False]
    traded = [row for row in rows if row.traded]
    secret_leaked = secret in run.log_text
    plugin = {e.seq for row in rows for e in plugin_writes(run, row.symbol)}
    # freqtrade's own account-wide call carries a stray "leverage"; the plugin's does not.
    account_sets = [e for e in run.requests(Endpoint.SET_MARGIN_MODE) if "leverage" not in e.body]
    plugin |= {e.seq for e in account_sets}
    if account_sets:
        first_ms = run.journal[0].time_ms
        console.print(
            "account margin mode set by the plugin: "
            + ", ".join(
                f"{e.body.get('setMarginMode')} -> retCode {e.ret_code} at "
                f"{(e.time_ms - first_ms) / 1000:.2f}s"
                for e in account_sets
            )
        )
    later = [e for e in run.journal if e.path in MARGIN_PATHS and e.seq not in plugin]
    codes = sorted({str(e.ret_code) for e in later})
    console.print(
        f"requests: {len(run.journal)} ({len(signed)} signed, {len(bad_signatures)} bad "
        f"signatures), orders {len(run.requests(Endpoint.ORDER_CREATE))}; the plugin's margin "
        f"writes {len(plugin)}; freqtrade's own per-order margin calls {len(later)} "
        f"(retCodes {', '.join(codes) or '-'})"
    )
    console.print(
        f"freqtrade {_exit_text(run.exit_code)}; secret in log: {'YES' if secret_leaked else 'no'}"
    )
    ok = (
        bool(traded)
        and all(row.prepared_before_order for row in traded)
        and not bad_signatures
        and not secret_leaked
    )
    verdict = (
        f"OK: {len(traded)} traded pair(s), every one prepared before its first order."
        if ok
        else "FAILED: see the table (no trade, a pair traded before it was prepared, "
        "a bad signature or a leaked secret)."
    )
    console.print(verdict)
    return ok
