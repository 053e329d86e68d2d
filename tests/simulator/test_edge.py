"""In front of the API: the IP limit and its 403 ban, the 403 of a region not served, and the
region envelopes, through ``dispatch`` and the loopback server.

Sources: https://bybit-exchange.github.io/docs/v5/rate-limit ("600 requests within a
5-second window per IP"; "403, access too frequent"; "wait for at least 10 minutes. The ban
will be lifted automatically"), docs/v5/guide (US / mainland-China IPs get HTTP 403),
docs/v5/error.mdx (10009, 110132).
"""

import json
import urllib.error
import urllib.request

import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs, ThreadedSimulatorServer

from .helpers import BASE, FakeClock, body, get


TIME_URL = BASE + Endpoint.SERVER_TIME


def hit(sim: BybitSimulator, n: int, ip: str = "127.0.0.1") -> list[int]:
    return [sim.dispatch("GET", TIME_URL, {}, b"", client_ip=ip).status for _ in range(n)]


def test_ip_limit_bans_for_ten_minutes(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock)
    assert hit(sim, 600) == [200] * 600
    refused = sim.dispatch("GET", TIME_URL, {}, b"")
    assert (refused.status, refused.headers["Content-Type"], refused.body) == (
        403,
        "text/plain",
        b"access too frequent",
    )
    assert sim.journal[-1].ret_code is None
    assert hit(sim, 1, ip="10.1.1.1") == [200]  # another IP has its own window
    clock.advance(6000)  # the window emptied, but the ban stands
    assert (
        get(sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"}).status == 403
    )
    clock.advance(600_000 - 6000 - 1)
    assert hit(sim, 1) == [403]
    clock.advance(1)
    assert hit(sim, 1) == [200]


def test_window_rolls_over_five_seconds(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock, knobs=SimKnobs(ip_limit=10))
    assert hit(sim, 10) == [200] * 10
    clock.advance(5000)
    assert hit(sim, 10) == [200] * 10
    clock.advance(4999)
    assert hit(sim, 1) == [403]


def test_ban_length_is_a_knob_and_control_routes_do_not_count(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock, knobs=SimKnobs(ip_limit=3, ip_ban_seconds=30))
    for _ in range(10):
        assert sim.dispatch("GET", BASE + "/_sim/state", {}, b"").status == 200
    assert hit(sim, 4) == [200, 200, 200, 403]
    clock.advance(30_000)
    assert hit(sim, 1) == [200]


def test_ip_limit_off_without_rate_limits(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock, rate_limits=False, knobs=SimKnobs(ip_limit=2))
    assert hit(sim, 5) == [200] * 5
    sim.ban_ip(seconds=1)  # a seeded ban applies whatever rate_limits says
    assert hit(sim, 1) == [403]


def test_ban_ip_now_on_the_simulator_clock(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock)
    until = sim.ban_ip()
    assert until == clock.now + 600_000
    assert hit(sim, 1) == [403]
    assert hit(sim, 1, ip="10.0.0.2") == [200]
    clock.advance(600_000)
    assert hit(sim, 1) == [200]
    with pytest.raises(ValueError, match="allowed: a number > 0"):
        sim.ban_ip(seconds=0)


def test_region_blocked_page(clock: FakeClock) -> None:
    # CloudFront's geo-block page (bybit-api issue 380; wording in hummingbot/deploy issue 28),
    # before the API looks at the request: even an unauthenticated one gets it, not a 401
    sim = BybitSimulator(clock=clock)
    sim.inject_fault(kind="region_blocked", times=2)
    for resp in (
        get(sim, Endpoint.SERVER_TIME, signed=False),
        sim.dispatch("POST", BASE + Endpoint.SET_LEVERAGE, {}, b"{}"),
    ):
        assert (resp.status, resp.headers["Content-Type"]) == (403, "text/html")
        assert b"configured to block access from your country" in resp.body
    assert [e.fault for e in sim.journal] == ["region_blocked", "region_blocked"]
    assert get(sim, Endpoint.SERVER_TIME, signed=False).status == 200


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (10009, "Service Restricted: Access is currently unavailable for your region."),
        (110132, "Product not available in your region"),
    ],
)
def test_region_envelopes_via_ret_code_faults(clock: FakeClock, code: int, message: str) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    sim.inject_fault(path=Endpoint.ACCOUNT_INFO, ret_code=code)
    data = body(get(sim, Endpoint.ACCOUNT_INFO))
    assert data["retCode"] == code
    assert data["retMsg"].startswith(message)


def test_server_sees_the_peer_address() -> None:
    sim = BybitSimulator(knobs=SimKnobs(ip_limit=2))
    with ThreadedSimulatorServer(sim) as server:
        for _ in range(2):
            with urllib.request.urlopen(server.url + Endpoint.SERVER_TIME, timeout=5) as reply:
                assert json.loads(reply.read())["retCode"] == 0
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url + Endpoint.SERVER_TIME, timeout=5)
        assert (err.value.code, err.value.read()) == (403, b"access too frequent")
        with urllib.request.urlopen(server.url + "/_sim/state", timeout=5) as reply:
            assert "127.0.0.1" in json.loads(reply.read())["ip_bans"]
    assert {e.client_ip for e in sim.journal} == {"127.0.0.1"}
