"""
The fault suite's scenarios and its harness, shared by ``test_fault_suite.py`` (assertions) and
``tests/benchmarks/bench_faults.py`` (the table).

The harness plays the bot's margin path against the simulator with a fault injected: startup
preparation, then loops of the service's own maintenance and one entry attempt per pair through
the entry gate's question (``MarginService.ensure``). An entry is a real order on the simulator;
at the moment of each order the simulator's state of the symbol is recorded, so "an order on a
pair not at its target" is seen, not inferred. A scenario may run its loops for a span of
simulated seconds (one loop per simulated second, as a bot's loop), on a fake clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import MarginMode, PairResult, PairTarget
from freqtrade_bybit_margin.service import MarginService, RetryPolicy
from freqtrade_bybit_margin.service.memory import Backoff
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock, FastClock
from tests.sim_clients import sim_client, sim_service


WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)
TARGETS = [
    PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal("5")),
    PairTarget("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal("4")),
    PairTarget("SOL/USDT:USDT", MarginMode.ISOLATED, Decimal("3")),
    PairTarget("XRP/USDT:USDT", MarginMode.ISOLATED, Decimal("2")),
]
SYMBOL = {t.pair: t.pair.split("/")[0] + "USDT" for t in TARGETS}
#: retries kept short so the suite is quick; the shapes are the production ones
RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, deadline=5.0)
BACKOFF = Backoff(first=0.05, most=0.2)
#: the clock of a scenario: fast (real time x10, threads) or fake (moves when slept, one thread)
Clock = FastClock | FakeClock


def connect(sim: BybitSimulator, clock: Clock) -> Any:
    """A ccxt client on the simulator, probed, markets loaded (ccxt's throttle off)."""
    return sim_client(sim, types=("linear",), clock=clock.ms)


@dataclass
class Entry:
    pair: str
    at_target: bool
    state: dict[str, Any]


@dataclass
class Run:
    """What a scenario produced."""

    sim: BybitSimulator
    entries: list[Entry] = field(default_factory=list)
    confirmed_at_startup: int = 0
    last: dict[str, PairResult | None] = field(default_factory=dict)
    """Each pair's last result when the scenario ended."""
    seconds: float = 0.0
    """Simulated seconds the scenario covered."""

    @property
    def not_at_target(self) -> list[Entry]:
        return [entry for entry in self.entries if not entry.at_target]

    def writes(self, pair: str) -> int:
        return sum(e.path in WRITES and e.symbol == SYMBOL[pair] for e in self.sim.journal)

    def writes_within(self, pair: str, seconds: float) -> int:
        """Writes of ``pair`` in the first ``seconds`` after the first request."""
        start = self.sim.journal[0].time_ms
        return sum(
            e.path in WRITES and e.symbol == SYMBOL[pair] and e.time_ms - start <= seconds * 1000
            for e in self.sim.journal
        )

    @property
    def most_writes_per_pair(self) -> int:
        return max(self.writes(t.pair) for t in TARGETS)

    @property
    def refused_10006(self) -> int:
        return sum(e.ret_code == RetCode.TOO_MANY_VISITS for e in self.sim.journal)


def at_target(sim: BybitSimulator, target: PairTarget) -> tuple[bool, dict[str, Any]]:
    state = sim.symbol_state(SYMBOL[target.pair])
    mode_ok = (
        state["trade_mode"] == 1
        if sim.account_type == "classic"
        else sim.account_margin_mode == "ISOLATED_MARGIN"
    )
    return mode_ok and float(state["leverage"]) == target.leverage, state


def play(
    sim: BybitSimulator,
    clock: Clock,
    *,
    loops: int = 6,
    pause: float = 0.06,
    seconds: float | None = None,
    max_age: float = 60.0,
    between: Callable[[int, MarginService], None] | None = None,
    service: MarginService | None = None,
) -> Run:
    """Startup, then ``loops`` of maintenance + one entry attempt per pair not yet entered (or
    as many loops as ``seconds`` of simulated time hold, one per ``pause``)."""
    exchange = connect(sim, clock)
    svc = service or sim_service(
        exchange, retry=RETRY, backoff=BACKOFF, clock=clock.time, sleep=clock.sleep
    )
    run = Run(sim)
    started = clock.time()
    run.confirmed_at_startup = sum(r.confirmed for r in svc.prepare(TARGETS))
    entered: set[str] = set()
    loop = 0
    while (loop < loops) if seconds is None else (clock.time() - started < seconds):
        if between is not None:
            between(loop, svc)
        svc.maintain(TARGETS, verify_interval=max_age)
        for target in TARGETS:
            if target.pair in entered or not svc.ensure(target, max_age=max_age).confirmed:
                continue
            holds, state = at_target(sim, target)
            amount = exchange.markets[target.pair]["limits"]["amount"]["min"]
            exchange.create_order(target.pair, "market", "buy", amount)
            run.entries.append(Entry(target.pair, holds, state))
            entered.add(target.pair)
        clock.sleep(pause)
        loop += 1
    run.last = {target.pair: svc.result_for(target.pair) for target in TARGETS}
    run.seconds = clock.time() - started
    return run


@dataclass(frozen=True)
class Scenario:
    """One fault, on one account type; ``expect_entries`` pairs end up entered."""

    name: str
    account: str
    inject: Callable[[BybitSimulator], None]
    expect_entries: int = 4
    between: Callable[[int, MarginService], None] | None = None
    max_age: float = 60.0
    seconds: float | None = None
    """Loops cover this many simulated seconds (one per second), on a fake clock with one
    worker (the clock moves only when slept); None: the default loops on a fast clock."""


def _garbled_writes(sim: BybitSimulator) -> None:
    sim.inject_fault(kind="html", path=Endpoint.SWITCH_ISOLATED, symbol="BTCUSDT", times=2)
    sim.inject_fault(kind="empty", path=Endpoint.SWITCH_ISOLATED, symbol="ETHUSDT", times=2)
    sim.inject_fault(kind="truncated_json", path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT")
    sim.inject_fault(kind="no_ret_code", path=Endpoint.SWITCH_ISOLATED, symbol="XRPUSDT")


def _garbled_reads(sim: BybitSimulator) -> None:
    sim.inject_fault(kind="html", path=Endpoint.POSITION_LIST, times=2)
    sim.inject_fault(kind="truncated_json", path=Endpoint.POSITION_SYMBOL_INFO)


def _rate_limit_storm(sim: BybitSimulator) -> None:
    sim.inject_fault(
        ret_code=RetCode.TOO_MANY_VISITS, path=Endpoint.SET_LEVERAGE, times=6, reset_in_ms=300
    )


def _throttled_pair(sim: BybitSimulator) -> None:
    """Bybit throttles some endpoints per symbol: one pair answers 10006 to every write."""
    for path in WRITES:
        sim.inject_fault(
            ret_code=RetCode.TOO_MANY_VISITS, path=path, symbol=SYMBOL[THROTTLED], times=None
        )


#: the pair of the "10006 forever on one pair" scenario
THROTTLED = "SOL/USDT:USDT"


def _exposure_10016(sim: BybitSimulator) -> None:
    sim.inject_fault(ret_code=RetCode.SERVER_TIMEOUT, path=Endpoint.POSITION_LIST, times=1)


def _timeouts(sim: BybitSimulator) -> None:
    sim.inject_fault(kind="timeout", path=Endpoint.SWITCH_ISOLATED, symbol="BTCUSDT")
    sim.inject_fault(kind="timeout", path=Endpoint.SWITCH_ISOLATED, symbol="ETHUSDT", applied=True)
    sim.inject_fault(kind="drop", path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT")
    sim.inject_fault(kind="drop", path=Endpoint.SWITCH_ISOLATED, symbol="XRPUSDT", applied=True)


def _uta2_5xx_burst(sim: BybitSimulator) -> None:
    sim.inject_fault(kind="http_status", http_status=502, path=Endpoint.SET_LEVERAGE, times=3)
    sim.inject_fault(kind="http_status", http_status=503, path=Endpoint.SET_MARGIN_MODE)


def _refused_pair(sim: BybitSimulator) -> None:
    sim.refuse(
        path=Endpoint.SWITCH_ISOLATED, symbol="SOLUSDT", ret_code=RetCode.LEVERAGE_RISK_LIMIT
    )


def _reads_failing(sim: BybitSimulator) -> None:
    sim.inject_fault(ret_code=RetCode.SERVER_TIMEOUT, path=Endpoint.POSITION_LIST, times=None)


def _bad_key(sim: BybitSimulator) -> None:
    sim.inject_fault(ret_code=RetCode.INVALID_API_KEY, path=Endpoint.POSITION_LIST, times=None)


def _no_permission(sim: BybitSimulator) -> None:
    sim.inject_fault(ret_code=RetCode.PERMISSION_DENIED, path=Endpoint.SET_LEVERAGE, times=None)


def _open_position(sim: BybitSimulator) -> None:
    sim.set_symbol("ETHUSDT", trade_mode=0, leverage="10")
    sim.open_position("ETHUSDT", side="Buy", size="0.5")


def _drift(loop: int, svc: MarginService) -> None:
    if loop == 0:
        sim = _SIM_OF[id(svc)]
        sim.set_symbol("XRPUSDT", trade_mode=0, leverage="9")  # someone in the web UI


def _ip_ban(loop: int, svc: MarginService) -> None:
    if loop == 1:  # after the entries: as if 600 requests / 5 s were broken, 403 for 10 min
        _SIM_OF[id(svc)].ban_ip()


#: the drift scenario reaches its simulator from the service (set by ``run_scenario``)
_SIM_OF: dict[int, BybitSimulator] = {}


def _nothing(sim: BybitSimulator) -> None:
    return None


SCENARIOS = [
    Scenario("garbled 200 bodies on writes", "classic", _garbled_writes),
    Scenario("garbled 200 bodies on reads", "uta2", _garbled_reads),
    Scenario("10006 storm with reset header", "uta2", _rate_limit_storm),
    Scenario(
        "10006 forever on one pair", "classic", _throttled_pair, expect_entries=3, seconds=45.0
    ),
    Scenario("10016 on the exposure read", "classic", _exposure_10016),
    Scenario("timeouts / drops, applied or not", "classic", _timeouts),
    Scenario("5xx burst on UTA2.0", "uta2", _uta2_5xx_burst),
    Scenario("refused pair (110013)", "classic", _refused_pair, expect_entries=3),
    Scenario("reads failing (10016 forever)", "classic", _reads_failing, expect_entries=0),
    Scenario("bad API key (10003)", "uta2", _bad_key, expect_entries=0),
    Scenario("missing permission (10005)", "uta2", _no_permission, expect_entries=0),
    Scenario("open position at other leverage", "classic", _open_position, expect_entries=3),
    Scenario("drift made outside the bot", "classic", _nothing, between=_drift, max_age=0.0),
    Scenario(
        "IP ban (HTTP 403) for 10 minutes",
        "uta2",
        _nothing,
        between=_ip_ban,
        max_age=0.0,
        seconds=660.0,
    ),
]


def run_scenario(scenario: Scenario) -> Run:
    """Run one scenario on a fresh simulator."""
    margin = "ISOLATED_MARGIN" if scenario.account == "uta2" else "REGULAR_MARGIN"
    clock: Clock = FastClock() if scenario.seconds is None else FakeClock()
    sim = BybitSimulator(account_type=scenario.account, account_margin_mode=margin, clock=clock.ms)
    if scenario.account == "uta2":
        sim.set_account_margin_mode("REGULAR_MARGIN")
    scenario.inject(sim)
    workers = {} if scenario.seconds is None else {"max_workers": 1}  # the fake clock: one thread
    svc = sim_service(
        connect(sim, clock),
        retry=RETRY,
        backoff=BACKOFF,
        clock=clock.time,
        sleep=clock.sleep,
        **workers,
    )
    _SIM_OF[id(svc)] = sim
    pause = {} if scenario.seconds is None else {"pause": 1.0, "seconds": scenario.seconds}
    try:
        return play(
            sim, clock, between=scenario.between, max_age=scenario.max_age, service=svc, **pause
        )
    finally:
        _SIM_OF.pop(id(svc), None)
