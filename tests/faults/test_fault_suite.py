"""The fault suite: no order on a pair not at its target, bounded writes, no secret in logs."""

from __future__ import annotations

import logging

import pytest

from freqtrade_bybit_margin.model import FailureKind
from freqtrade_bybit_margin.simulator import DEFAULT_API_SECRET
from tests.faults.scenarios import SCENARIOS, TARGETS, THROTTLED, Scenario, run_scenario


#: writes one pair may cost under any scenario: a try per attempt of each of its (at most two)
#: writes, plus one re-preparation after a drift
MOST_WRITES_PER_PAIR = 2 * 4 + 2


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_no_entry_on_a_pair_not_at_target(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    run = run_scenario(scenario)

    assert run.not_at_target == []
    assert len(run.entries) == scenario.expect_entries, [e.pair for e in run.entries]
    assert run.most_writes_per_pair <= MOST_WRITES_PER_PAIR
    assert DEFAULT_API_SECRET not in caplog.text


def test_garbled_answers_confirm_nothing_until_bybit_really_answers() -> None:
    scenario = next(s for s in SCENARIOS if s.name.startswith("garbled 200 bodies on writes"))

    run = run_scenario(scenario)

    assert run.confirmed_at_startup == len(TARGETS)  # each retried until a parsed 0 came
    assert {entry.pair for entry in run.entries} == {t.pair for t in TARGETS}
    assert run.writes("BTC/USDT:USDT") == 3  # two HTML pages, then the real answer


def test_a_rate_limit_storm_is_waited_out_not_given_up() -> None:
    scenario = next(s for s in SCENARIOS if s.name.startswith("10006 storm"))

    run = run_scenario(scenario)

    assert run.confirmed_at_startup == len(TARGETS)
    assert run.refused_10006 == 6


def test_a_pair_throttled_for_good_costs_few_writes_and_holds_no_other_pair_back() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "10006 forever on one pair")

    run = run_scenario(scenario)

    assert run.seconds >= 45.0
    assert run.writes_within(THROTTLED, 45.0) <= 10  # was 59 before the back-off grew
    others = [t.pair for t in TARGETS if t.pair != THROTTLED]
    assert {entry.pair for entry in run.entries} == set(others)
    assert run.not_at_target == []
    last = run.last[THROTTLED]
    assert last is not None
    assert last.failure is not None
    assert last.failure.kind is FailureKind.RATE_LIMITED
    assert "SOLUSDT is throttled by Bybit" in last.reason


def test_an_ip_ban_stops_every_request_for_the_pause_then_they_flow_again() -> None:
    scenario = next(s for s in SCENARIOS if s.name.startswith("IP ban"))

    run = run_scenario(scenario)

    journal = run.sim.journal
    banned = [e for e in journal if e.http_status == 403]
    assert len(banned) == 1  # the one request Bybit refused; none sent during the pause
    resumes = banned[0].time_ms + 600_000
    assert not [e for e in journal if banned[0].time_ms < e.time_ms < resumes]
    assert [e for e in journal if e.time_ms >= resumes and e.ret_code == 0]  # reads flow again
    assert run.not_at_target == []
    assert all(r is not None and r.confirmed for r in run.last.values())
