"""``prepare(plan=...)``: ``apply`` right after ``plan`` reads nothing twice (issue 19); a plan
that aged while its user thought reads again only the pairs it would write."""

from __future__ import annotations

from decimal import Decimal

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import MarginMode, PairTarget
from freqtrade_bybit_margin.service.views import PLAN_REUSE_S
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


TARGETS = [
    PairTarget(f"{base}/USDT:USDT", MarginMode.ISOLATED, Decimal(3))
    for base in ("BTC", "ETH", "SOL", "XRP")
]


def symbol_reads(sim: BybitSimulator, mark: int) -> list[str | None]:
    return [e.symbol for e in sim.journal[mark:] if e.path == Endpoint.POSITION_LIST and e.symbol]


def test_apply_right_after_plan_reads_no_pair_again() -> None:
    clock = FakeClock()
    sim = BybitSimulator("classic", clock=clock.ms)
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="3")
    service = sim_service(sim_client(sim, clock=clock.ms), clock=clock.time, sleep=clock.sleep)
    plan = service.plan(TARGETS)
    mark = len(sim.journal)

    results = service.prepare(TARGETS, plan=plan)

    assert all(r.confirmed for r in results)
    assert symbol_reads(sim, mark) == []
    assert [e.path for e in sim.journal[mark:]] == [Endpoint.SWITCH_ISOLATED] * 3


def test_an_old_plan_is_read_again_only_where_it_would_write() -> None:
    clock = FakeClock()
    sim = BybitSimulator("classic", clock=clock.ms)
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="3")
    service = sim_service(sim_client(sim, clock=clock.ms), clock=clock.time, sleep=clock.sleep)
    plan = service.plan(TARGETS)
    clock.sleep(PLAN_REUSE_S + 1)  # the user thought it over
    sim.open_position("SOLUSDT", side="Buy", size="1")  # meanwhile, a position opened
    mark = len(sim.journal)

    results = {r.pair: r for r in service.prepare(TARGETS, plan=plan)}

    # the pairs it would write are read again (SOL's new position comes with the bulk read of
    # open positions); BTC, already right, is not
    assert sorted(symbol_reads(sim, mark)) == ["ETHUSDT", "XRPUSDT"]
    assert not results["SOL/USDT:USDT"].confirmed  # not switched under the new position
    assert sim.symbol_state("SOLUSDT")["trade_mode"] == 0
    assert results["BTC/USDT:USDT"].confirmed


def test_bulk_leverage_reads_return_once_the_account_mode_changed() -> None:
    """Portfolio margin refuses ``symbol-info`` (batch-lvg.mdx): the pairs are read one by one,
    and the bulk read is tried again once the account left portfolio margin."""
    clock = FakeClock()
    sim = BybitSimulator("uta2", account_margin_mode="PORTFOLIO_MARGIN", clock=clock.ms)
    service = sim_service(sim_client(sim, clock=clock.ms), clock=clock.time, sleep=clock.sleep)

    assert all(r.confirmed for r in service.prepare(TARGETS))  # PORTFOLIO -> ISOLATED
    mark = len(sim.journal)
    service.plan(TARGETS)

    bulk = [e for e in sim.journal[mark:] if e.path == Endpoint.POSITION_SYMBOL_INFO]
    assert [e.ret_code for e in bulk] == [0]
    assert symbol_reads(sim, mark) == []
