"""
Benchmark: ``freqtrade-bybit-margin plan``, ``status`` and ``apply --yes`` on 100 pairs, as a
user runs them: the console script in its own process (Python start, imports, config, markets),
ccxt's own rate limiter on (freqtrade's default), against the simulator over HTTP with Bybit's
per-UID limits on and 20 ms latency per request.

Prints a Markdown table (the README's CLI table is this output): per account type and command,
the private requests, the reads of one symbol, the writes, the wall time of the process and the
time to its first line of output (the screen is never blank while it reads).

Run: ``python -m tests.benchmarks.bench_cli [--pairs N] [--latency-ms MS]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.overlay import simulator_exchange
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)


COMMANDS = (("plan",), ("status",), ("apply", "--yes"))
ACCOUNTS = (("classic", "Classic"), ("uta2", "UTA2.0"))


@dataclass(frozen=True)
class Figures:
    private: int
    one_symbol_reads: int
    writes: int
    wall: float
    first_output: float
    exit_code: int


def console_script() -> list[str]:
    """The installed ``freqtrade-bybit-margin`` next to this interpreter (else ``-m``)."""
    script = Path(sys.executable).with_name("freqtrade-bybit-margin")
    if script.is_file():
        return [str(script)]
    found = shutil.which("freqtrade-bybit-margin")
    return [found] if found else [sys.executable, "-m", "freqtrade_bybit_margin"]


def write_config(folder: Path, url: str, count: int) -> Path:
    """A futures config on ``count`` generated pairs, pointed at the simulator; ccxt's limiter
    is left as freqtrade has it (on)."""
    exchange = simulator_exchange(url, api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET)
    exchange["pair_whitelist"] = [f"S{i:03d}/USDT:USDT" for i in range(1, count + 1)]
    path = folder / "config.json"
    config = {
        "dry_run": False,
        "trading_mode": "futures",
        "margin_mode": "isolated",
        "stake_currency": "USDT",
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
        "bybit_margin": {"leverage": 3},
    }
    path.write_text(json.dumps(config))
    return path


def _first_line(stream: IO[str], seen: list[float]) -> None:
    for line in stream:
        if line.strip() and not seen:
            seen.append(time.perf_counter())


def measure(account: str, command: tuple[str, ...], count: int, latency_ms: float) -> Figures:
    """Run ``command`` once as a process against a fresh simulator; count from its journal."""
    sim = BybitSimulator(
        account_type=account, extra_linear_symbols=count, rate_limits=True, latency_ms=latency_ms
    )
    with ThreadedSimulatorServer(sim) as server, tempfile.TemporaryDirectory() as tmp:
        path = write_config(Path(tmp), server.url, count)
        argv = [*console_script(), *command, "-c", str(path), "--userdir", tmp]
        seen: list[float] = []
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp
        )
        readers = [
            threading.Thread(target=_first_line, args=(stream, seen))
            for stream in (process.stdout, process.stderr)
        ]
        for reader in readers:
            reader.start()
        exit_code = process.wait(timeout=300)
        wall = time.perf_counter() - started
        for reader in readers:
            reader.join(10)
    journal = sim.journal
    return Figures(
        private=sum(bool(e.signed) for e in journal),
        one_symbol_reads=sum(e.path == Endpoint.POSITION_LIST and bool(e.symbol) for e in journal),
        writes=sum(e.method == "POST" for e in journal),
        wall=wall,
        first_output=(min(seen) - started) if seen else wall,
        exit_code=exit_code,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_cli", description=__doc__)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    print(
        f"CLI as a process on {args.pairs} pairs, {args.latency_ms:g} ms latency, ccxt's rate "
        "limiter on, Bybit's limits on:\n"
    )
    print("| account | command | private requests | one-symbol reads | writes | wall s | "
          "first output s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    failed = []
    for account, label in ACCOUNTS:
        for command in COMMANDS:
            figures = measure(account, command, args.pairs, args.latency_ms)
            if figures.exit_code != 0:
                failed.append(f"{label} {' '.join(command)}: exit code {figures.exit_code}")
            print(
                f"| {label} | {' '.join(command)} | {figures.private} | "
                f"{figures.one_symbol_reads} | {figures.writes} | {figures.wall:.1f} | "
                f"{figures.first_output:.1f} |",
                flush=True,
            )
    if failed:
        sys.exit("failed: " + "; ".join(failed))


if __name__ == "__main__":
    main()
