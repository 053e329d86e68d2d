"""The pacer with a fake clock: its own window, Bybit's headers, the announced reset."""

from __future__ import annotations

import pytest

from freqtrade_bybit_margin.constants import AccountType, Endpoint
from freqtrade_bybit_margin.service.pacing import Pacer, RateHeaders, limits_for
from tests.clock import FakeClock


def pacer(clock: FakeClock, limit: int = 3, margin: float = 0.0) -> Pacer:
    return Pacer({"/x": limit}, margin=margin, clock=clock, sleep=clock.sleep)


def send(p: Pacer, clock: FakeClock, latency: float = 0.0, endpoint: str = "/x") -> float:
    """One request; returns when it was sent."""
    with p.slot(endpoint):
        sent = clock.now
        clock.now += latency
    return sent


def test_own_requests_never_exceed_the_limit_in_any_window() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=3)

    sent = [send(p, clock, latency=0.05) for _ in range(7)]

    for i, start in enumerate(sent):
        in_window = [t for t in sent if start <= t < start + 1.0]
        assert len(in_window) <= 3, (i, sent)
    assert sent[3] == pytest.approx(sent[0] + 0.05 + 1.0)  # one window after it finished


def test_endpoints_have_separate_budgets_and_unknown_ones_are_not_paced() -> None:
    clock = FakeClock(1_000.0)
    p = Pacer({"/a": 1, "/b": 1}, margin=0.0, clock=clock, sleep=clock.sleep)

    send(p, clock, endpoint="/a")
    send(p, clock, endpoint="/b")
    send(p, clock, endpoint="/unknown")

    assert clock.slept == []


def test_headers_saying_nothing_is_left_wait_for_the_announced_reset() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10, margin=0.02)
    reset = clock.now + 0.7

    p.observe("/x", RateHeaders(limit=10, remaining=0, reset=reset))
    sent = send(p, clock)

    assert sent == pytest.approx(reset + 0.02)


def test_headers_with_budget_left_do_not_slow_down() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10)

    p.observe("/x", RateHeaders(limit=10, remaining=4, reset=clock.now))
    send(p, clock)

    assert clock.slept == []


def test_a_10006_waits_until_the_reset_never_less() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10, margin=0.03)

    wait = p.rate_limited("/x", RateHeaders(limit=10, remaining=0, reset=clock.now + 0.4))
    sent = send(p, clock)

    assert wait == pytest.approx(0.43)
    assert sent >= clock.now - 0.001
    assert sent == pytest.approx(1_000.43)


def test_a_10006_without_headers_waits_one_window() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10, margin=0.0)

    assert p.rate_limited("/x", RateHeaders(None, None, None)) == pytest.approx(1.0)


def test_the_limit_bybit_announces_replaces_the_documented_one() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10)

    p.observe("/x", RateHeaders(limit=2, remaining=1, reset=clock.now))
    sent = [send(p, clock) for _ in range(3)]

    assert sent[2] - sent[0] == pytest.approx(1.0)


def test_an_endpoint_is_paced_once_bybit_names_its_limit() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock)

    p.observe("/new", RateHeaders(limit=1, remaining=0, reset=clock.now + 0.5))
    send(p, clock, endpoint="/new")

    assert sum(clock.slept) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "X-Bapi-Limit": "10",
                "X-Bapi-Limit-Status": "0",
                "X-Bapi-Limit-Reset-Timestamp": "1700000000500",
            },
            RateHeaders(10, 0, 1_700_000_000.5),
        ),
        ({"x-bapi-limit-status": "7"}, RateHeaders(None, 7, None)),
        ({"X-Bapi-Limit": "ten"}, RateHeaders(None, None, None)),
        (None, RateHeaders(None, None, None)),
    ],
)
def test_headers_are_read_in_any_case_and_bad_values_ignored(
    headers: dict[str, str] | None, expected: RateHeaders
) -> None:
    assert RateHeaders.parse(headers) == expected


def test_classic_reads_are_paced_at_ten_per_second() -> None:
    classic, uta2 = limits_for(AccountType.CLASSIC), limits_for(AccountType.UTA2)
    assert classic[Endpoint.POSITION_LIST] == classic[Endpoint.ORDER_REALTIME] == 10
    assert uta2[Endpoint.POSITION_LIST] == uta2[Endpoint.ORDER_REALTIME] == 50
    assert classic[Endpoint.SET_LEVERAGE] == uta2[Endpoint.SET_LEVERAGE] == 10
