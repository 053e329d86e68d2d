"""The pacer with a fake clock: its own window, Bybit's headers, the announced reset, the
other clients of the UID, the IP ban's pause."""

from __future__ import annotations

import threading

import pytest

from freqtrade_bybit_margin.client.classify import IpBanPause
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


# -- sharing the UID's window with other clients ------------------------------------------------


def answered(p: Pacer, clock: FakeClock, remaining: int, *, latency: float = 0.05) -> float:
    """One request answered with ``remaining`` left in the window; returns when it was sent."""
    with p.slot("/x") as ticket:
        sent = clock.now
        clock.now += latency
        p.observe("/x", RateHeaders(limit=10, remaining=remaining, reset=clock.now), ticket)
    return sent


def test_the_first_answers_tell_who_else_sends_and_the_share_follows() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10)

    first = answered(p, clock, remaining=8)  # one other request was there before ours
    second = answered(p, clock, remaining=5)  # two more came: three clients, ours second
    third = answered(p, clock, remaining=2)
    fourth = answered(p, clock, remaining=2)

    assert (first, second, third) == pytest.approx((1_000.0, 1_000.05, 1_000.1))
    # three clients: 3 places each (the tenth goes round); the fourth waits for ours to free
    assert fourth == pytest.approx(first + 0.05 + 1.0)


def test_alone_it_takes_the_whole_window_after_two_answers() -> None:
    clock = FakeClock(1_000.0)
    p = pacer(clock, limit=10)

    sent = [answered(p, clock, remaining=9 - k) for k in range(10)]
    eleventh = answered(p, clock, remaining=9)

    assert sent[-1] - sent[0] == pytest.approx(9 * 0.05)  # no wait: the window is its own
    assert eleventh == pytest.approx(sent[0] + 0.05 + 1.0)


def test_before_bybit_tells_requests_go_one_at_a_time() -> None:
    clock = FakeClock(1_000.0)
    waiting = threading.Event()

    def sleep(seconds: float) -> None:  # the fake clock's, and a sign that a caller waits
        waiting.set()
        clock.sleep(seconds)

    p = Pacer({"/x": 10}, clock=clock, sleep=sleep)
    order: list[str] = []

    def second() -> None:
        with p.slot("/x"):
            order.append("second in")

    with p.slot("/x"):
        other = threading.Thread(target=second)
        other.start()
        assert waiting.wait(5)  # the second caller waits, though nine places are free
        order.append("first out")
    other.join(5)

    assert order == ["first out", "second in"]


def test_a_refused_request_holds_no_place() -> None:
    clock = FakeClock(1_000.0)
    p = Pacer({"/x": 1}, margin=0.0, clock=clock, sleep=clock.sleep)
    with p.slot("/x") as ticket:
        p.observe("/x", RateHeaders(limit=1, remaining=0, reset=clock.now), ticket)

    with p.slot("/x") as ticket:  # the next second's place
        refused_at = clock.now
        p.rate_limited("/x", RateHeaders(limit=1, remaining=0, reset=clock.now + 0.2), ticket)
    with p.slot("/x"):
        again = clock.now

    assert again == pytest.approx(refused_at + 0.2)  # Bybit's reset, not a place held a second


# -- the IP ban ---------------------------------------------------------------------------------


def test_an_ip_ban_pauses_every_endpoint_and_is_announced_once() -> None:
    clock = FakeClock(1_800_000_000.0)
    announced: list[str] = []
    p = Pacer({"/a": 1, "/b": 1}, clock=clock, sleep=clock.sleep, on_pause=announced.append)

    until = p.ip_banned("HTTP 403 'access too frequent'")
    p.ip_banned("HTTP 403 'access too frequent'")  # another thread's answer: same pause
    refused = []
    for endpoint in ("/a", "/b", "/unknown"):
        with pytest.raises(IpBanPause) as caught, p.slot(endpoint):
            pass
        refused.append(caught.value)
    clock.sleep(600)
    with p.slot("/a"):
        pass

    assert until == 1_800_000_600.0
    assert [e.until for e in refused] == [until] * 3
    assert all("resume at 2027-01-15 08:10:00 UTC" in str(e) for e in refused)
    assert clock.slept == [600]  # the refused callers never slept
    assert len(announced) == 1
    assert "until 2027-01-15 08:10:00 UTC" in announced[0]
    assert p.paused_until is None
