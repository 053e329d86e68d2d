"""
Benchmark: the fault suite as a table (the same scenarios ``tests/faults`` asserts on).

Per scenario: pairs confirmed at startup, entries made, entries made on a pair that was not at
its target at the moment of the order (must be 0), the most writes one pair cost, answers of
10006, the simulated seconds the scenario covered (its clock: fast, or fake for the long ones)
and the wall time.

Run: ``python -m tests.benchmarks.bench_faults``
"""

from __future__ import annotations

import logging
import time

from rich.console import Console
from rich.table import Table

from tests.faults.scenarios import SCENARIOS, TARGETS, run_scenario


def main() -> None:
    logging.disable(logging.WARNING)
    table = Table(title=f"Fault suite: {len(TARGETS)} pairs per scenario, against the simulator")
    for column in (
        "scenario",
        "account",
        "confirmed at start",
        "entries",
        "not at target",
        "writes/pair (max)",
        "10006",
        "simulated s",
        "wall s",
    ):
        table.add_column(column)
    for scenario in SCENARIOS:
        started = time.perf_counter()
        run = run_scenario(scenario)
        table.add_row(
            scenario.name,
            scenario.account,
            f"{run.confirmed_at_startup}/{len(TARGETS)}",
            f"{len(run.entries)} (expected {scenario.expect_entries})",
            str(len(run.not_at_target)),
            str(run.most_writes_per_pair),
            str(run.refused_10006),
            f"{run.seconds:.1f}",
            f"{time.perf_counter() - started:.2f}",
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
