"""The caller against the simulator, on a fake clock: an IP ban pauses every request for ten
minutes without sleeping in a caller's thread; a 10006 that never clears is given up within the
deadline, with a back-off that grows across requests."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import ccxt
import pytest

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import FailureKind
from freqtrade_bybit_margin.service.calls import Caller, RetryPolicy
from freqtrade_bybit_margin.service.pacing import Pacer
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client


LEVERAGE = {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "3", "sellLeverage": "3"}


def caller(
    sim: BybitSimulator, clock: FakeClock, *, retry: RetryPolicy | None = None, **pacer: Any
) -> Caller:
    exchange = sim_client(sim, types=("linear",), clock=clock.ms)
    paced = Pacer(clock=clock.time, sleep=clock.sleep, **pacer)
    return Caller(
        exchange,
        paced,
        retry or RetryPolicy(),
        tap=HeaderTap.on(exchange),
        clock=clock.time,
        sleep=clock.sleep,
    )


def failure_of(call: Any) -> Any:
    with pytest.raises(ccxt.BaseError) as caught:
        call()
    return classify(caught.value)


# -- the IP ban ---------------------------------------------------------------------------------


def test_an_ip_ban_pauses_every_request_for_ten_minutes_then_they_flow_again() -> None:
    clock = FakeClock()
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN", clock=clock.ms)
    announced: list[str] = []
    call = caller(sim, clock, on_pause=announced.append)
    sim.ban_ip()  # as a breach of 600 requests / 5 s would: 403 for 10 minutes
    before = len(sim.journal)

    first = failure_of(lambda: call.get(Endpoint.ACCOUNT_INFO, {}))
    sent_by_the_ban = len(sim.journal) - before
    during = []
    for _ in range(9):  # nine minutes of every endpoint asked again, from two threads
        clock.sleep(60)
        during.append(failure_of(lambda: call.post(Endpoint.SET_LEVERAGE, LEVERAGE)))
        other = threading.Thread(
            target=lambda: during.append(
                failure_of(
                    lambda: call.get(
                        Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"}
                    )
                )
            )
        )
        other.start()
        other.join()
    after_nine_minutes = len(sim.journal) - before
    clock.sleep(60.5)
    answer = call.get(Endpoint.ACCOUNT_INFO, {})

    assert (sent_by_the_ban, after_nine_minutes) == (1, 1)  # only the request Bybit refused
    assert first.kind is FailureKind.IP_BANNED
    assert "2027-01-15 08:10:00 UTC" in first.reason  # 10 minutes from the 403, in UTC
    assert {f.kind for f in during} == {FailureKind.IP_BANNED}
    assert all("resume at 2027-01-15 08:10:00 UTC" in f.reason for f in during)
    assert max(clock.slept) < 61  # nobody slept the pause away in a caller's thread
    assert answer["retCode"] == 0
    assert len(announced) == 1
    assert "2027-01-15 08:10:00 UTC" in announced[0]


def test_a_second_ban_after_the_pause_is_announced_again() -> None:
    clock = FakeClock()
    sim = BybitSimulator("uta2", clock=clock.ms)
    announced: list[str] = []
    call = caller(sim, clock, on_pause=announced.append)

    sim.ban_ip(seconds=900)  # longer than the pause: the first try after it is refused too
    failure_of(lambda: call.get(Endpoint.ACCOUNT_INFO, {}))
    clock.sleep(601)
    again = failure_of(lambda: call.get(Endpoint.ACCOUNT_INFO, {}))

    assert again.kind is FailureKind.IP_BANNED
    assert len(announced) == 2
    assert [e.http_status for e in sim.journal[-2:]] == [403, 403]


def test_a_region_refused_by_the_cdn_is_no_ban() -> None:
    clock = FakeClock()
    sim = BybitSimulator("uta2", clock=clock.ms)
    announced: list[str] = []
    call = caller(sim, clock, on_pause=announced.append)
    sim.inject_fault(kind="region_blocked", path=Endpoint.ACCOUNT_INFO, times=1)

    refused = failure_of(lambda: call.get(Endpoint.ACCOUNT_INFO, {}))

    assert refused.kind is FailureKind.REFUSED
    assert "region" in refused.reason
    assert announced == []
    assert call.get(Endpoint.ACCOUNT_INFO, {})["retCode"] == 0  # nothing paused


# -- a 10006 that never clears ------------------------------------------------------------------


def test_a_symbol_throttled_for_good_is_given_up_within_the_deadline() -> None:
    clock = FakeClock()
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN", clock=clock.ms)
    sim.inject_fault(
        path=Endpoint.SET_LEVERAGE, symbol="BTCUSDT", ret_code=RetCode.TOO_MANY_VISITS, times=None
    )
    retry = RetryPolicy(deadline=30.0)
    call = caller(sim, clock, retry=retry)
    started = clock.now

    given_up = failure_of(lambda: call.post(Endpoint.SET_LEVERAGE, LEVERAGE))

    assert clock.now - started <= retry.deadline
    assert given_up.kind is FailureKind.RATE_LIMITED
    assert given_up.retryable
    assert given_up.code == RetCode.TOO_MANY_VISITS
    assert given_up.reason.startswith("BTCUSDT is throttled by Bybit")
    tries = [e.time_ms / 1000 - started for e in sim.requests(path=Endpoint.SET_LEVERAGE)]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert len(tries) <= 6
    assert gaps[-1] >= 4 * gaps[0]  # the back-off grew


def test_the_back_off_carries_over_to_the_next_request_and_ends_with_a_success() -> None:
    clock = FakeClock()
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN", clock=clock.ms)
    storm = sim.inject_fault(
        path=Endpoint.SET_LEVERAGE, symbol="BTCUSDT", ret_code=RetCode.TOO_MANY_VISITS, times=None
    )
    call = caller(sim, clock, retry=RetryPolicy(deadline=5.0))

    def tries() -> list[float]:
        return [
            e.time_ms / 1000 for e in sim.requests(path=Endpoint.SET_LEVERAGE, symbol="BTCUSDT")
        ]

    failure_of(lambda: call.post(Endpoint.SET_LEVERAGE, LEVERAGE))
    first = tries()
    failure_of(lambda: call.post(Endpoint.SET_LEVERAGE, LEVERAGE))
    second = tries()[len(first) :]
    unaffected = call.post(Endpoint.SET_LEVERAGE, {**LEVERAGE, "symbol": "ETHUSDT"})
    storm.times = storm.fired  # the throttle clears
    clock.sleep(120)
    cleared = call.post(Endpoint.SET_LEVERAGE, LEVERAGE)
    after = clock.now
    then = call.post(Endpoint.SET_LEVERAGE, {**LEVERAGE, "buyLeverage": "4", "sellLeverage": "4"})

    assert len(second) == 1  # the next request waited for the grown back-off, then tried once
    assert first[1] - first[0] == pytest.approx(1.03)  # Bybit's reset (+ margin) at first
    assert second[0] - first[-1] >= 4.0  # then a back-off that grew, across requests
    assert unaffected["retCode"] == cleared["retCode"] == then["retCode"] == 0
    assert clock.now == after  # the success ended the streak: no back-off left
