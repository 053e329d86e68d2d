"""``plan`` and ``prepare`` make one decision (``planning.decide``), on every account type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import FailureKind, MarginMode, Mechanism, Outcome, PairTarget
from freqtrade_bybit_margin.service import Action, RetryPolicy
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FastClock
from tests.sim_clients import sim_client, sim_service


CLOCK = FastClock()


ISO = MarginMode.ISOLATED
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, deadline=2.0)
MIXED = [
    PairTarget("BTC/USDT:USDT", ISO, Decimal("5")),  # linear USDT: already right
    PairTarget("ETH/USDT:USDT", ISO, Decimal("4")),  # linear USDT: to switch
    PairTarget("SOL/USDT:USDT", ISO, Decimal("3")),  # open position at other settings
    PairTarget("BTC/USD:BTC", ISO, Decimal("2")),  # inverse
    PairTarget("BTC/USD:USDC", ISO, Decimal("2")),  # linear, USDC-settled
]
#: What prepare's outcome must be for what plan said.
AGREES = {
    Action.NONE: {Outcome.UNCHANGED},
    Action.SWITCH: {Outcome.CHANGED, Outcome.FAILED},  # FAILED only as Bybit's refusal
    Action.BLOCKED: {Outcome.SKIPPED, Outcome.FAILED},
}


def seeded(account: str) -> BybitSimulator:
    sim = BybitSimulator(account_type=account, account_margin_mode="REGULAR_MARGIN", clock=CLOCK.ms)
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    sim.set_symbol("SOLUSDT", trade_mode=0, leverage="10")
    sim.open_position("SOLUSDT", side="Buy", size="1")
    return sim


@pytest.mark.parametrize("account", ["classic", "uta1", "uta2"])
def test_plan_and_prepare_agree_on_every_pair_of_a_mixed_whitelist(account: str) -> None:
    sim = seeded(account)
    service = sim_service(
        sim_client(sim, clock=CLOCK.ms), retry=FAST, clock=CLOCK.time, sleep=CLOCK.sleep
    )

    plan = service.plan(MIXED)
    results = service.prepare(MIXED)

    for planned, result in zip(plan.pairs, results, strict=True):
        assert planned.mechanism is result.mechanism, planned.target.pair
        assert result.outcome in AGREES[planned.action], (planned, result)
        if planned.action is Action.NONE:
            assert result.requests == 0
    sol = next(p for p in plan.pairs if p.target.pair == "SOL/USDT:USDT")
    assert sol.action is Action.BLOCKED


def test_classic_plans_and_prepares_a_usdc_contract_the_way_bybit_serves_it() -> None:
    """Classic switch-isolated served USDT perpetuals and inverse only: a USDC-settled linear
    contract is never sent there (it went to switch-isolated, then NotSupported, before)."""
    sim = seeded("classic")
    service = sim_service(
        sim_client(sim, clock=CLOCK.ms), retry=FAST, clock=CLOCK.time, sleep=CLOCK.sleep
    )

    plan = service.plan(MIXED)
    results = {r.pair: r for r in service.prepare(MIXED)}

    mechanisms = {p.target.pair: p.mechanism for p in plan.pairs}
    assert mechanisms == {
        "BTC/USDT:USDT": Mechanism.SWITCH_ISOLATED,
        "ETH/USDT:USDT": Mechanism.SWITCH_ISOLATED,
        "SOL/USDT:USDT": Mechanism.SWITCH_ISOLATED,
        "BTC/USD:BTC": Mechanism.SWITCH_ISOLATED,
        "BTC/USD:USDC": Mechanism.ACCOUNT_MODE,
    }
    assert results["BTC/USD:USDC"].mechanism is Mechanism.ACCOUNT_MODE
    assert sim.requests(path=Endpoint.SWITCH_ISOLATED, symbol="BTCPERP") == []
    failure = results["BTC/USD:USDC"].failure
    assert failure is not None
    assert failure.kind is FailureKind.BLOCKED  # by the open SOL position, account-wide
    assert {results[p].outcome for p in ("ETH/USDT:USDT", "BTC/USD:BTC")} == {Outcome.CHANGED}
