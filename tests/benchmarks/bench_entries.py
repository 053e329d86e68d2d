"""
Benchmark: from the candle to the order, in a real ``FreqtradeBot`` loop against the simulator
at 50 ms latency, with ccxt's throttle on and Bybit's per-UID limits, as a user runs it.

freqtrade alone sets the margin mode and the leverage again before every order
(``Exchange._lev_prep``: two writes in sequence, neither answer parsed). With the plugin's
default (``entry_check: read``) the pair is read once (one round trip; on unified accounts the
pair's row and the account's mode concurrently) and nothing is written when it holds; with
``entry_check: trust`` a confirmation within ``verify_interval`` is enough (no request). Per
entry: the requests from the pair's candle (or the previous order) to its order, of them the
margin writes and reads, and the wall time; every entry is checked against the simulator's
state at that moment (isolated, at the leverage freqtrade records).

Run: ``python -m tests.benchmarks.bench_entries [--rounds N]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from freqtrade.enums import State
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade
from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, JournalEntry, ThreadedSimulatorServer
from tests.bot.conftest import PAIRS, bot_config
from tests.bot.trades import close, orders_off_their_trades, settle


WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)
#: The plugin's reads of an entry: the pair's row (``position/list?symbol=``) and the account's
#: margin mode; freqtrade's own position reads carry ``settleCoin``, not ``symbol``.
READS = (Endpoint.POSITION_LIST, Endpoint.ACCOUNT_INFO, Endpoint.POSITION_SYMBOL_INFO)


def is_plugin_read(entry: JournalEntry, symbol: str | None) -> bool:
    if entry.path == Endpoint.POSITION_LIST:
        return entry.symbol == symbol
    return entry.path in READS


LATENCY_MS = 50.0
#: Long enough that the loop's own re-verification does not run between entries, so each
#: entry shows what its entry check costs.
VERIFY_S = 900
CASES = (
    ("freqtrade alone", "PlainTestStrategy", {}),
    ("plugin, entry_check read", "MarginTestStrategy", {"entry_check": "read"}),
    ("plugin, entry_check trust", "MarginTestStrategy", {"entry_check": "trust"}),
)


@dataclass(frozen=True)
class Entry:
    requests: int
    writes: int
    reads: int
    ms: int


@dataclass(frozen=True)
class Figures:
    account: str
    case: str
    entries: list[Entry]
    off_target: int


def entries_of(journal: list[JournalEntry], start: int, end: int) -> list[Entry]:
    """Per entry order of one loop (``journal[start:end]``): what happened since the loop
    began, the pair's candle, or the loop's previous order, whichever came last."""
    found, begin = [], start
    for index in range(start, end):
        entry = journal[index]
        if entry.path == Endpoint.KLINE:
            continue
        if entry.path != Endpoint.ORDER_CREATE or not entry.at_order:
            continue
        candles = [
            i
            for i in range(begin, index)
            if journal[i].path == Endpoint.KLINE and journal[i].symbol == entry.symbol
        ]
        first = max([begin, *(i + 1 for i in candles)])
        window = journal[first:index]
        found.append(
            Entry(
                len(window),
                sum(e.path in WRITES for e in window),
                sum(is_plugin_read(e, entry.symbol) for e in window),
                entry.time_ms - journal[first - 1].time_ms,
            )
        )
        begin = index + 1
    return found


@contextmanager
def quickly(bot: FreqtradeBot, sim: BybitSimulator) -> Iterator[None]:
    """No latency, no limits and no ccxt throttle for a moment (closing trades between
    rounds)."""
    api, latency = bot.exchange._api, sim.latency_ms
    api.enableRateLimit, sim.latency_ms, sim.rate_limits = False, 0.0, False
    try:
        yield
    finally:
        api.enableRateLimit, sim.latency_ms, sim.rate_limits = True, latency, True


def measure(
    account: str, case: str, strategy: str, section: dict[str, str], rounds: int
) -> Figures:
    sim = BybitSimulator(account_type=account, latency_ms=LATENCY_MS)
    with (
        ThreadedSimulatorServer(sim) as server,
        tempfile.TemporaryDirectory() as tmp,
        time_machine.travel(datetime.now(UTC), tick=True) as clock,
    ):
        config = bot_config(
            server.url,
            Path(tmp),
            strategy=strategy,
            bybit_margin={"leverage": 3, "verify_interval": VERIFY_S, **section},
        )
        config["exchange"]["ccxt_config"]["enableRateLimit"] = True  # as freqtrade runs
        bot = FreqtradeBot(config)
        bot.state = State.RUNNING
        try:
            bot.strategy.bot_start()
            loops: list[tuple[int, int]] = []
            for _ in range(rounds):
                # the next candle (freqtrade locks a pair until then after an exit): within
                # verify_interval (trust needs no read), past entry_check_max_age (read reads)
                clock.shift(timedelta(seconds=61))
                start = len(sim.journal)
                bot.process()
                loops.append((start, len(sim.journal)))
                with quickly(bot, sim):  # what comes after the entries is not measured
                    settle(bot)
                    for trade in Trade.get_trades_proxy(is_open=True):
                        close(bot, trade.pair)
            off = len(orders_off_their_trades(sim))
        finally:
            bot.cleanup()
    journal = sim.journal
    entries = [e for start, end in loops for e in entries_of(journal, start, end)]
    return Figures(account, case, entries, off)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_entries", description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    table = Table(
        title=f"Signal to order in a real FreqtradeBot loop ({args.rounds} rounds x "
        f"{len(PAIRS)} pairs, {LATENCY_MS:g} ms latency, ccxt's throttle on, "
        f"verify_interval {VERIFY_S} s)"
    )
    for column in (
        "account",
        "case",
        "entries",
        "requests per entry",
        "margin writes per entry",
        "reads per entry (mean / max)",
        "signal -> order ms (mean / max)",
        "orders not at target",
    ):
        table.add_column(column)
    for account in ("classic", "uta2"):
        for case, strategy, section in CASES:
            f = measure(account, case, strategy, section, args.rounds)
            entries = f.entries
            table.add_row(
                f.account,
                f.case,
                str(len(entries)),
                f"{statistics.mean(e.requests for e in entries):.2f}",
                f"{statistics.mean(e.writes for e in entries):.2f}",
                f"{statistics.mean(e.reads for e in entries):.2f} / "
                f"{max(e.reads for e in entries)}",
                f"{statistics.mean(e.ms for e in entries):.0f} / {max(e.ms for e in entries)}",
                str(f.off_target),
            )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
