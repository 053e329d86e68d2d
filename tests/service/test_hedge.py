"""
The position-mode guard (issue 18), on the service alone: a symbol in hedge mode (a row per side,
``positionIdx`` 1 and 2; Bybit's priority is symbol > coin, so freqtrade's coin-level switch
leaves it) is seen in every read path, never read by its empty side, switched to one-way when
flat and blocked otherwise. https://bybit-exchange.github.io/docs/v5/position/position-mode
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import FailureKind, MarginMode, Outcome, PairTarget
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.service.planning import Action
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


BTC = PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal(5))
ETH = PairTarget("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal(4))
ONE_WAY, HEDGE = 0, 3  # switch-mode's ``mode`` (and the simulator's ``position_mode``)
ACCOUNTS = pytest.mark.parametrize("account", ["classic", "uta2"])


def setup(account: str) -> tuple[BybitSimulator, FakeClock, MarginService]:
    """BTC hedged at its target (both sides isolated 5x): a reader that takes either row alone
    finds it "ready"."""
    clock = FakeClock()
    sim = BybitSimulator(account, clock=clock.ms, account_margin_mode="ISOLATED_MARGIN")
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    sim.set_position_mode("BTCUSDT", hedge=True)
    service = sim_service(sim_client(sim, clock=clock.ms), clock=clock.time, sleep=clock.sleep)
    return sim, clock, service


def posts(sim: BybitSimulator, symbol: str = "BTCUSDT", mark: int = 0) -> list[Any]:
    return [e for e in sim.journal[mark:] if e.method == "POST" and e.symbol == symbol]


def mode_switches(sim: BybitSimulator, mark: int = 0) -> list[Any]:
    return [e for e in posts(sim, mark=mark) if e.path == Endpoint.SWITCH_POSITION_MODE]


@ACCOUNTS
def test_a_flat_hedged_pair_is_switched_to_one_way_once_then_prepared(account: str) -> None:
    sim, clock, service = setup(account)

    btc, eth = service.prepare([BTC, ETH])

    assert (btc.outcome, btc.confirmed) == (Outcome.CHANGED, True)
    assert "hedge mode" in btc.reason
    switch = mode_switches(sim)
    assert [(e.body, e.ret_code) for e in switch] == [
        ({"category": "linear", "symbol": "BTCUSDT", "mode": ONE_WAY}, RetCode.OK)
    ]
    assert posts(sim)[0] is switch[0]  # before the leverage write
    assert btc.requests == len(posts(sim))  # counted like the other writes
    state = sim.symbol_state("BTCUSDT")
    assert (state["position_mode"], state["leverage"], state["sell_leverage"]) == (
        ONE_WAY,
        "5",
        "5",
    )
    assert eth.confirmed
    assert mode_switches(sim) == switch  # nothing else switched

    mark = len(sim.journal)  # a restart where everything holds: no write
    again = sim_service(sim_client(sim, clock=clock.ms), clock=clock.time).prepare([BTC, ETH])
    assert [r.outcome for r in again] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert [e for e in sim.journal[mark:] if e.method == "POST"] == []


@ACCOUNTS
@pytest.mark.parametrize(
    "busy", ["Buy", "Sell", "order"], ids=["long-first-row-empty", "short", "open-order"]
)
def test_a_hedged_pair_with_a_position_or_order_is_blocked_and_never_written(
    account: str, busy: str
) -> None:
    """The simulator lists the Sell side first (Bybit's order): with a long open, ``list[0]``
    is the empty side, at the target leverage."""
    sim, _, service = setup(account)
    if busy == "order":
        sim.place_resting_order("BTCUSDT", side="Buy", qty="0.01", price="1000")
    else:
        sim.open_position("BTCUSDT", side=busy, size="0.01", leverage="10")

    btc, eth = service.prepare([BTC, ETH])
    checked = service.ensure(BTC, max_age=0)  # the entry proof's own read, one symbol

    for result in (btc, checked):
        assert not result.confirmed
        assert result.failure is not None
        assert result.failure.kind is FailureKind.BLOCKED
        assert "hedge mode" in result.reason
    assert posts(sim) == []
    assert sim.symbol_state("BTCUSDT")["position_mode"] == HEDGE
    assert eth.confirmed


@ACCOUNTS
def test_the_entry_proof_sees_a_confirmed_pair_switched_to_hedge(account: str) -> None:
    sim, clock, service = setup(account)
    assert service.prepare([BTC])[0].confirmed
    sim.set_position_mode("BTCUSDT", hedge=True)  # the web UI, between two entries
    clock.sleep(3)
    mark = len(sim.journal)

    result = service.ensure(BTC, max_age=2)

    assert (result.outcome, result.confirmed) == (Outcome.CHANGED, True)
    assert [e.ret_code for e in mode_switches(sim, mark)] == [RetCode.OK]
    assert sim.symbol_state("BTCUSDT")["position_mode"] == ONE_WAY

    sim.set_position_mode("BTCUSDT", hedge=True)
    sim.open_position("BTCUSDT", side="Sell", size="0.01")  # someone trades it hedged
    clock.sleep(3)
    mark = len(sim.journal)

    refused = service.ensure(BTC, max_age=2)

    assert not refused.confirmed
    assert "hedge mode" in refused.reason
    assert posts(sim, mark=mark) == []


def test_not_modified_confirms_the_switch() -> None:
    """110025 "position mode not modified": Bybit's own word that it is one-way already (here
    someone switched it between the plan's read and the apply)."""
    sim, _, service = setup("classic")
    plan = service.plan([BTC])
    assert plan.pairs[0].action is Action.SWITCH
    sim.set_position_mode("BTCUSDT", hedge=False)

    result = service.prepare([BTC], plan=plan)[0]

    assert result.confirmed
    assert [e.ret_code for e in mode_switches(sim)] == [RetCode.POSITION_MODE_NOT_MODIFIED]


def test_a_refused_switch_is_a_failure_with_bybits_reason() -> None:
    """A position opened between the plan's read and the apply: Bybit refuses with 110024."""
    sim, _, service = setup("uta2")
    plan = service.plan([BTC])
    sim.open_position("BTCUSDT", side="Buy", size="0.01")

    result = service.prepare([BTC], plan=plan)[0]

    assert (result.outcome, result.confirmed) == (Outcome.FAILED, False)
    assert result.failure is not None
    assert result.failure.code == RetCode.POSITION_EXISTS
    assert "110024" in result.reason
    assert [e.path for e in posts(sim)] == [Endpoint.SWITCH_POSITION_MODE]  # nothing after it


def test_another_client_that_keeps_setting_hedge_is_not_switched_back_without_bound() -> None:
    sim, clock, service = setup("classic")
    service.prepare([BTC])
    for _ in range(3):  # a hedge-mode bot on the same UID
        sim.set_position_mode("BTCUSDT", hedge=True)
        clock.sleep(3)
        service.ensure(BTC, max_age=2)

    last = service.ensure(BTC, max_age=0)

    assert len(mode_switches(sim)) == 2
    assert last.failure is not None
    assert last.failure.kind is FailureKind.CONTESTED
    assert "BTC/USDT:USDT position mode to hedge" in last.reason
