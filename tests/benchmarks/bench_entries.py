"""
Benchmark: margin requests per entry in a real ``FreqtradeBot`` against the simulator.

freqtrade alone sets the margin mode and the leverage again before every order
(``Exchange._lev_prep``). With the plugin, the pairs are prepared once at startup and an entry on
a confirmed pair adds no margin request. 24 entries (6 rounds over 4 pairs) per case; per entry:
margin requests and all requests between the previous order and this one.

Run: ``python -m tests.benchmarks.bench_entries [--rounds N]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from freqtrade.freqtradebot import FreqtradeBot
from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.bot.conftest import PAIRS, bot_config


MARGIN = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)
CASES = (("freqtrade alone", "PlainTestStrategy"), ("with the plugin", "MarginTestStrategy"))


@dataclass(frozen=True)
class Figures:
    account: str
    case: str
    entries: int
    margin_per_entry: list[int]
    requests_per_entry: list[int]
    startup_margin: int
    at_target: int
    seconds: float


def measure(account: str, case: str, strategy: str, rounds: int) -> Figures:
    # Request counts are measured, not pacing: the simulator's limits are off, as is ccxt's
    # throttle (the bot's own wallet and position reads would otherwise be the bottleneck).
    sim = BybitSimulator(account_type=account, rate_limits=False)
    with ThreadedSimulatorServer(sim) as server, tempfile.TemporaryDirectory() as tmp:
        section = {"leverage": 3}
        bot = FreqtradeBot(
            bot_config(server.url, Path(tmp), strategy=strategy, bybit_margin=section)
        )
        try:
            bot.strategy.bot_start()
            mark = len(sim.journal)
            started = time.perf_counter()
            for _ in range(rounds):
                for pair in PAIRS:
                    bot.execute_entry(pair, 20)
            seconds = time.perf_counter() - started
        finally:
            bot.cleanup()
    journal = sim.journal
    orders = [i for i, e in enumerate(journal) if e.path == Endpoint.ORDER_CREATE]
    margin, requests, previous = [], [], mark
    for index in orders:
        window = journal[previous:index]
        margin.append(sum(e.path in MARGIN for e in window))
        requests.append(len(window))
        previous = index + 1
    symbols = {pair.split("/")[0] + "USDT" for pair in PAIRS}
    at_target = sum(
        float(sim.symbol_state(s)["position_leverage"] or 0) == 3.0
        and (sim.symbol_state(s)["trade_mode"] == 1 or account != "classic")
        for s in symbols
    )
    return Figures(
        account,
        case,
        len(orders),
        margin,
        requests,
        sum(e.path in MARGIN for e in journal[:mark]),
        at_target,
        seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_entries", description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    table = Table(
        title=f"Entries in a real FreqtradeBot ({args.rounds} rounds x {len(PAIRS)} pairs)"
    )
    for column in (
        "account",
        "case",
        "entries",
        "margin req. at startup",
        "margin req. per entry (mean / max)",
        "requests before each order (mean)",
        "positions at 3x isolated",
        "wall s",
    ):
        table.add_column(column)
    for account in ("classic", "uta2"):
        for case, strategy in CASES:
            f = measure(account, case, strategy, args.rounds)
            table.add_row(
                f.account,
                f.case,
                str(f.entries),
                str(f.startup_margin),
                f"{statistics.mean(f.margin_per_entry):.2f} / {max(f.margin_per_entry)}",
                f"{statistics.mean(f.requests_per_entry):.2f}",
                f"{f.at_target}/{len(PAIRS)}",
                f"{f.seconds:.2f}",
            )
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
