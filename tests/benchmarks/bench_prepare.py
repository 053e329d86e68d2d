"""
Benchmark: preparing a large whitelist against the simulator with Bybit's per-UID limits on.

Compares MarginService.prepare (first start, and a restart where everything already holds)
with the per-pair loop freqtrade runs before orders (ccxt set_margin_mode + set_leverage, one
pair after another). Prints requests, wall time and rate-limit refusals (10006).

Run: ``python -m tests.benchmarks.bench_prepare [--pairs N] [--latency-ms MS]``
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt
from rich.console import Console
from rich.table import Table

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import FailureKind, MarginMode, PairTarget
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.sim_clients import sim_client, sim_service


WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)


@dataclass(frozen=True)
class Figures:
    account: str
    approach: str
    pairs: int
    seconds: float
    writes: int
    reads: int
    signed: int
    refused_10006: int
    confirmed: int


def connect(sim: BybitSimulator, throttle: bool) -> Any:
    """A client on the simulator; ``throttle``: ccxt's own rate limiter, as freqtrade runs it."""
    return sim_client(sim, types=("linear",), throttle=throttle)


def per_pair_loop(exchange: Any, targets: list[PairTarget]) -> int:
    """What freqtrade does before an order, for every pair in turn; returns pairs confirmed."""
    confirmed = 0
    for target in targets:
        ok = True
        for call in (
            lambda t=target: exchange.set_margin_mode(
                t.margin_mode.value, t.pair, {"leverage": float(t.leverage)}
            ),
            lambda t=target: exchange.set_leverage(float(t.leverage), t.pair),
        ):
            try:
                call()
            except ccxt.BaseError as error:
                ok = ok and classify(error).kind is FailureKind.NOT_MODIFIED
        confirmed += ok
    return confirmed


def service_run(exchange: Any, targets: list[PairTarget]) -> int:
    return sum(result.confirmed for result in sim_service(exchange).prepare(targets))


def plan_run(exchange: Any, targets: list[PairTarget]) -> int:
    """What ``freqtrade-bybit-margin plan`` asks the service: read-only."""
    plan = sim_service(exchange).plan(targets)
    return sum(p.action.value == "none" for p in plan.pairs)


def measure(
    account: str,
    approach: str,
    pairs: int,
    latency_ms: float,
    run: Callable[[Any, list[PairTarget]], int],
    warm: bool,
) -> Figures:
    sim = BybitSimulator(
        account_type=account, latency_ms=latency_ms, rate_limits=True, extra_linear_symbols=pairs
    )
    exchange = connect(sim, throttle=run is per_pair_loop)
    targets = [
        PairTarget(f"S{i:03d}/USDT:USDT", MarginMode.ISOLATED, Decimal("3"))
        for i in range(1, pairs + 1)
    ]
    if warm:  # a restart: everything already holds
        sim_service(exchange).prepare(targets)
        time.sleep(1.1)  # let the simulator's rate-limit window drain
    start_seq = len(sim.journal)
    started = time.perf_counter()
    confirmed = run(exchange, targets)
    seconds = time.perf_counter() - started
    journal = sim.journal[start_seq:]
    return Figures(
        account=account,
        approach=approach,
        pairs=pairs,
        seconds=seconds,
        writes=sum(entry.path in WRITES for entry in journal),
        reads=sum(bool(entry.signed) and entry.method == "GET" for entry in journal),
        signed=sum(bool(entry.signed) for entry in journal),
        refused_10006=sum(entry.ret_code == RetCode.TOO_MANY_VISITS for entry in journal),
        confirmed=confirmed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_prepare", description=__doc__)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    cases = [
        ("per-pair loop (freqtrade style)", per_pair_loop, False),
        ("MarginService, first start", service_run, False),
        ("MarginService, restart (all set)", service_run, True),
        ("plan (read-only), all set", plan_run, True),
    ]
    table = Table(
        title=f"Preparing {args.pairs} pairs, {args.latency_ms:g} ms latency, Bybit limits on"
    )
    for column in (
        "account",
        "approach",
        "wall s",
        "writes",
        "signed reads",
        "signed requests",
        "10006",
        "confirmed",
    ):
        table.add_column(column)
    for account in ("classic", "uta2"):
        for name, run, warm in cases:
            figures = measure(account, name, args.pairs, args.latency_ms, run, warm)
            table.add_row(
                figures.account,
                figures.approach,
                f"{figures.seconds:.1f}",
                str(figures.writes),
                str(figures.reads),
                str(figures.signed),
                str(figures.refused_10006),
                f"{figures.confirmed}/{figures.pairs}",
            )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
