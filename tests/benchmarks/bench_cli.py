"""
Benchmark: ``freqtrade-bybit-margin plan`` and ``status`` on 100 pairs, in-process against the
simulator over HTTP with Bybit's limits on and 20 ms latency.

Prints per account type and command: private requests, reads of one symbol, wall time and the
time to the first progress line (the screen is never blank while it reads).

Run: ``python -m tests.benchmarks.bench_cli [--pairs N] [--latency-ms MS]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.cli.app import main as cli
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.overlay import simulator_exchange
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)


def config(folder: Path, url: str, pairs: list[str]) -> Path:
    exchange = simulator_exchange(url, api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET)
    exchange["pair_whitelist"] = pairs
    exchange["ccxt_config"]["enableRateLimit"] = False  # ccxt's own throttle: 10 req/s in all
    path = folder / "config.json"
    path.write_text(
        json.dumps(
            {
                "dry_run": False,
                "trading_mode": "futures",
                "margin_mode": "isolated",
                "stake_currency": "USDT",
                "exchange": exchange,
                "pairlists": [{"method": "StaticPairList"}],
                "bybit_margin": {"leverage": 3},
            }
        )
    )
    return path


class _Clock(io.StringIO):
    """stderr that remembers when the first line came."""

    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None

    def write(self, text: str) -> int:
        if self.first is None and text.strip():
            self.first = time.perf_counter()
        return super().write(text)


def measure(
    account: str, command: str, count: int, latency_ms: float
) -> tuple[int, int, float, float]:
    sim = BybitSimulator(account_type=account, extra_linear_symbols=count, rate_limits=True)
    pairs = [f"S{i:03d}/USDT:USDT" for i in range(1, count + 1)]
    with ThreadedSimulatorServer(sim) as server, tempfile.TemporaryDirectory() as tmp:
        path = config(Path(tmp), server.url, pairs)
        sim.latency_ms = latency_ms
        mark = len(sim.journal)
        err = _Clock()
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            cli([command, "-c", str(path), "--userdir", tmp])
        wall = time.perf_counter() - started
    journal = sim.journal[mark:]
    signed = sum(bool(e.signed) for e in journal)
    per_symbol = sum(
        e.path == Endpoint.POSITION_LIST and "symbol" in (e.query or {}) for e in journal
    )
    first = (err.first - started) if err.first is not None else wall
    return signed, per_symbol, wall, first


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_cli", description=__doc__)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    table = Table(
        title=f"CLI on {args.pairs} pairs, {args.latency_ms:g} ms latency, Bybit limits on"
    )
    for column in ("account", "command", "private requests", "one-symbol reads", "wall s",
                   "first output s"):  # fmt: skip
        table.add_column(column)
    for account in ("classic", "uta2"):
        for command in ("plan", "status"):
            signed, per_symbol, wall, first = measure(account, command, args.pairs, args.latency_ms)
            table.add_row(
                account, command, str(signed), str(per_symbol), f"{wall:.2f}", f"{first:.2f}"
            )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
