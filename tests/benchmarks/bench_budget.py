"""
Benchmark: several bots on one Bybit UID share its per-UID rate limits.

K bots (each its own ccxt client and MarginService, started at the same moment) prepare their
share of 60 pairs on one simulated UTA2.0 account with Bybit's limits on and 50 ms latency.
Prints, per K: pairs confirmed, answers of 10006, the share of writes Bybit accepted, wall time
against the floor (60 set-leverage writes at Bybit's 10/s: 6 s), and writes per pair. Goal:
every pair confirmed, at most 10 answers 10006, >= 90% of writes accepted, wall <= 1.0x the
floor, whatever K.

Run: ``python -m tests.benchmarks.bench_budget [--pairs N] [--latency-ms MS] [--bots 1,2,3,4]``
"""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import MarginMode, PairResult, PairTarget
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.sim_clients import sim_client, sim_service


#: Bybit's per-UID limit of the write every pair needs (set-leverage, 10/s).
WRITE_LIMIT = 10


@dataclass(frozen=True)
class Figures:
    bots: int
    pairs: int
    confirmed: int
    refused_10006: int
    seconds: float
    writes: int
    accepted_writes: int

    @property
    def floor(self) -> float:
        return self.pairs / WRITE_LIMIT

    @property
    def accepted(self) -> float:
        """Share of the set-leverage writes Bybit accepted (not answered 10006)."""
        return self.accepted_writes / self.writes if self.writes else 1.0


def connect(sim: BybitSimulator) -> Any:
    return sim_client(sim, types=("linear",))


def run(bots: int, pairs: int, latency_ms: float) -> Figures:
    """K bots prepare ``pairs`` pairs in all, split evenly, starting together."""
    sim = BybitSimulator(
        account_type="uta2",
        account_margin_mode="ISOLATED_MARGIN",
        rate_limits=False,
        extra_linear_symbols=pairs,
    )
    clients = [connect(sim) for _ in range(bots)]
    sim.latency_ms, sim.rate_limits = latency_ms, True
    time.sleep(1.1)  # the connections' own requests leave the rate-limit window
    names = [f"S{i:03d}/USDT:USDT" for i in range(1, pairs + 1)]
    shares = [names[k::bots] for k in range(bots)]
    start = threading.Barrier(bots + 1)
    results: list[PairResult] = []
    lock = threading.Lock()

    def bot(exchange: Any, share: list[str]) -> None:
        service = sim_service(exchange)
        service.account_type  # noqa: B018  (the probe is cached: no request)
        start.wait()
        done = service.prepare([PairTarget(p, MarginMode.ISOLATED, Decimal("3")) for p in share])
        with lock:
            results.extend(done)

    threads = [
        threading.Thread(target=bot, args=(c, s)) for c, s in zip(clients, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    mark = len(sim.journal)
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    journal = sim.journal[mark:]
    return Figures(
        bots=bots,
        pairs=pairs,
        confirmed=sum(r.confirmed for r in results),
        refused_10006=sum(e.ret_code == RetCode.TOO_MANY_VISITS for e in journal),
        seconds=seconds,
        writes=sum(e.path == Endpoint.SET_LEVERAGE for e in journal),
        accepted_writes=sum(
            e.path == Endpoint.SET_LEVERAGE and e.ret_code != RetCode.TOO_MANY_VISITS
            for e in journal
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_budget", description=__doc__)
    parser.add_argument("--pairs", type=int, default=60)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--bots", default="1,2,3,4")
    args = parser.parse_args()
    table = Table(
        title=f"{args.pairs} pairs shared by K bots on one UID (UTA2.0), "
        f"{args.latency_ms:g} ms latency, Bybit limits on"
    )
    for column in (
        "bots",
        "confirmed",
        "10006",
        "writes accepted",
        "wall s",
        "floor s",
        "wall / floor",
        "writes/pair",
    ):
        table.add_column(column)
    for bots in (int(k) for k in args.bots.split(",")):
        figures = run(bots, args.pairs, args.latency_ms)
        table.add_row(
            str(figures.bots),
            f"{figures.confirmed}/{figures.pairs}",
            str(figures.refused_10006),
            f"{figures.accepted:.0%}",
            f"{figures.seconds:.2f}",
            f"{figures.floor:.1f}",
            f"{figures.seconds / figures.floor:.2f}",
            f"{figures.writes / figures.pairs:.2f}",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
