"""
THE entry proof (issue 17), on the service alone: a confirmation proves an entry only while it
is fresh; older, one round trip of reads decides (the pair's row and, on unified accounts, the
account's margin mode, concurrently), and only what differs is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import FailureKind, MarginMode, Outcome, PairTarget
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


BTC = PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal(5))
READS = (Endpoint.POSITION_LIST, Endpoint.ACCOUNT_INFO, Endpoint.POSITION_SYMBOL_INFO)
WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)


def setup(account: str, **sim: Any) -> tuple[BybitSimulator, FakeClock, MarginService]:
    clock = FakeClock()
    simulator = BybitSimulator(account, clock=clock.ms, **sim)
    service = sim_service(
        sim_client(simulator, clock=clock.ms), clock=clock.time, sleep=clock.sleep
    )
    return simulator, clock, service


def since(sim: BybitSimulator, mark: int, paths: tuple[str, ...]) -> list[str]:
    return [e.path for e in sim.journal[mark:] if e.path in paths]


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_a_fresh_confirmation_costs_nothing_an_older_one_one_read(account: str) -> None:
    sim, clock, service = setup(account, account_margin_mode="ISOLATED_MARGIN")
    assert service.prepare([BTC])[0].confirmed
    mark = len(sim.journal)

    assert service.ensure(BTC, max_age=2).confirmed
    assert sim.journal[mark:] == []

    clock.sleep(2.5)
    result = service.ensure(BTC, max_age=2)

    assert (result.confirmed, result.at) == (True, clock.now)
    expected = [Endpoint.POSITION_LIST] + ([Endpoint.ACCOUNT_INFO] if account == "uta2" else [])
    assert sorted(since(sim, mark, READS)) == sorted(expected)
    assert since(sim, mark, WRITES) == []


def test_the_two_reads_of_a_unified_account_go_out_together() -> None:
    """One round trip: the pair's row and the account's mode are in flight at the same time."""
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN")
    service = sim_service(sim_client(sim))
    service.prepare([BTC])
    sim.latency_ms = 200
    mark = len(sim.journal)

    service.ensure(BTC, max_age=0)

    reads = [e for e in sim.journal[mark:] if e.path in READS]
    assert sorted(e.path for e in reads) == [Endpoint.ACCOUNT_INFO, Endpoint.POSITION_LIST]
    assert abs(reads[0].time_ms - reads[1].time_ms) < 100  # sequential: >= 200 ms apart


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_a_change_made_outside_is_read_and_only_it_is_written_back(account: str) -> None:
    sim, clock, service = setup(account, account_margin_mode="ISOLATED_MARGIN")
    service.prepare([BTC])
    sim.set_symbol("BTCUSDT", leverage="10")  # the web UI
    clock.sleep(3)
    mark = len(sim.journal)

    result = service.ensure(BTC, max_age=2)

    assert (result.confirmed, result.outcome) == (True, Outcome.CHANGED)
    assert since(sim, mark, WRITES) == [Endpoint.SET_LEVERAGE]
    assert sim.symbol_state("BTCUSDT")["leverage"] == "5"


def test_the_account_mode_flipped_to_cross_is_switched_back_when_nothing_is_open() -> None:
    sim, clock, service = setup("uta2", account_margin_mode="ISOLATED_MARGIN")
    service.prepare([BTC])
    sim.set_account_margin_mode("REGULAR_MARGIN")
    clock.sleep(3)

    result = service.ensure(BTC, max_age=2)

    assert result.confirmed
    assert sim.account_margin_mode == "ISOLATED_MARGIN"


def test_the_account_mode_flipped_to_cross_under_open_positions_refuses_the_entry() -> None:
    sim, clock, service = setup("uta2", account_margin_mode="ISOLATED_MARGIN")
    service.prepare([BTC])
    sim.open_position("ETHUSDT", side="Buy", size="0.1")
    sim.set_account_margin_mode("REGULAR_MARGIN")  # seeded: Bybit itself would refuse this
    clock.sleep(3)
    mark = len(sim.journal)

    result = service.ensure(BTC, max_age=2)

    assert not result.confirmed
    assert result.failure is not None
    assert result.failure.kind is FailureKind.BLOCKED
    assert "ETHUSDT" in result.reason
    assert since(sim, mark, WRITES) == []


def test_an_order_of_the_bots_own_open_trade_sets_its_leverage_back_never_its_mode() -> None:
    sim, clock, service = setup("classic")
    service.prepare([BTC])
    sim.open_position("BTCUSDT", side="Buy", size="0.01", leverage="10")  # opened at 10x
    clock.sleep(3)

    assert not service.ensure(BTC, max_age=2).confirmed  # an entry: never under a position
    assert service.ensure(BTC, max_age=2, own_position=True).confirmed  # its trade's order
    assert sim.symbol_state("BTCUSDT")["leverage"] == "5"

    sim.set_symbol("BTCUSDT", trade_mode=0)  # cross under the open position
    clock.sleep(3)
    refused = service.ensure(BTC, max_age=2, own_position=True)
    assert not refused.confirmed
    assert sim.symbol_state("BTCUSDT")["trade_mode"] == 0


def test_a_failure_backing_off_is_answered_without_a_request() -> None:
    sim, _, service = setup("classic")
    sim.refuse(path=Endpoint.SWITCH_ISOLATED, symbol="BTCUSDT", ret_code=110013)
    assert not service.prepare([BTC])[0].confirmed
    mark = len(sim.journal)

    assert not service.ensure(BTC, max_age=2).confirmed
    assert sim.journal[mark:] == []
