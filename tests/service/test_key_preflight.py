"""
The key preflight (issue 18), decided once from ``GET /v5/user/query-api``
(https://bybit-exchange.github.io/docs/v5/user/apikey-info): a read-only key or one without
ContractTrade Order + Position blocks every write; expiry within a week is a warning; a key that
cannot be queried is no reason to block. The answer ccxt's own probe receives is used where it
was kept, so the check costs no request there.
"""

from __future__ import annotations

from typing import Any

import pytest

from freqtrade_bybit_margin.client.keys import parse_key_info
from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.service import MarginService, RetryPolicy
from freqtrade_bybit_margin.service.key_check import judge_key
from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


FAST = RetryPolicy(attempts=1, deadline=1.0)
NOW = 1_800_000_000.0


def service_on(sim: BybitSimulator, *, probed: bool) -> MarginService:
    """The service on a client whose account probe ran before (freqtrade's) or not (the CLI's)."""
    clock = FakeClock(NOW)
    client = sim_client(sim, probe=probed, clock=clock.ms)
    return sim_service(client, retry=FAST, clock=clock.time, sleep=clock.sleep)


def key_reads(sim: BybitSimulator) -> int:
    return len(sim.requests(path=Endpoint.QUERY_API))


def envelope(**result: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "readOnly": 0,
        "permissions": {"ContractTrade": ["Order", "Position"]},
        "ips": ["*"],
        "deadlineDay": 80,
        "expiredAt": "2027-03-01T00:00:00Z",
    }
    return {"retCode": 0, "result": {**base, **result}}


@pytest.mark.parametrize(
    ("profile", "named"),
    [
        ({"read_only": True}, "is read-only (query-api readOnly 1)"),
        ({"permissions": {"ContractTrade": ["Order"]}}, "lacks the Contract permission Position"),
        ({"permissions": {"ContractTrade": ["Position"]}}, "lacks the Contract permission Order"),
        ({"permissions": {"Spot": ["SpotTrade"]}}, "permission Order and Position"),
    ],
    ids=["read-only", "no-position", "no-order", "no-contract"],
)
def test_a_key_that_cannot_write_blocks_with_one_line_naming_what_is_missing(
    profile: dict[str, Any], named: str
) -> None:
    sim = BybitSimulator(account_type="uta2", clock=lambda: int(NOW * 1000))
    sim.add_api_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, **profile)

    report = service_on(sim, probed=False).check_key()

    assert report.blocks
    assert named in report.problem
    assert "\n" not in report.problem
    assert "Read-Write access and the Contract permissions Orders and Positions" in report.problem
    assert key_reads(sim) == 1  # ccxt's probe; its answer was kept


def test_a_key_that_can_write_passes_and_a_probed_client_costs_one_read() -> None:
    sim = BybitSimulator(account_type="classic", clock=lambda: int(NOW * 1000))
    service = service_on(sim, probed=True)
    before = key_reads(sim)

    report = service.check_key()

    assert not report.blocks
    assert report.expiry == ""
    assert report.info is not None
    assert report.info.missing == ()
    assert key_reads(sim) == before + 1


@pytest.mark.parametrize(("days", "warned"), [(8, False), (7, True), (0, True)])
def test_a_key_expiring_within_a_week_is_a_warning(days: int, warned: bool) -> None:
    sim = BybitSimulator(account_type="uta2", clock=lambda: int(NOW * 1000))
    sim.add_api_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, deadline_day=days)

    report = service_on(sim, probed=False).check_key()

    assert not report.blocks
    assert bool(report.expiry) is warned
    if warned:
        assert "Keys bound to an IP do not expire" in report.expiry


def test_a_key_that_cannot_be_queried_is_no_reason_to_block() -> None:
    sim = BybitSimulator(account_type="uta2", clock=lambda: int(NOW * 1000))
    service = service_on(sim, probed=True)
    sim.inject_fault(path=Endpoint.QUERY_API, ret_code=RetCode.PERMISSION_DENIED, times=None)

    report = service.check_key(fresh=True)

    assert not report.blocks
    assert "10005" in report.unread


def test_the_expiry_comes_from_expired_at_when_bybit_gives_no_deadline_day() -> None:
    info = parse_key_info(envelope(deadlineDay=-2, expiredAt="2027-01-18T12:00:00Z"))
    assert info.expires_at is not None
    now = info.expires_at - 3 * 86_400 - 10

    assert info.days_left(now) == 3
    assert "expires in 3 days (2027-01-18 12:00 UTC)" in judge_key(info, now).expiry
    bound = parse_key_info(
        envelope(ips=["1.2.3.4"], deadlineDay=-2, expiredAt="1970-01-01T00:00:00Z")
    )
    assert bound.days_left(NOW) is None
    assert judge_key(bound, NOW).expiry == ""


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({"readOnly": None}, "readOnly"),
        ({"readOnly": "2"}, "readOnly"),
        ({"permissions": []}, "permissions"),
        ({"permissions": {"ContractTrade": "Order"}}, "permissions.ContractTrade"),
    ],
)
def test_an_answer_that_says_nothing_usable_is_refused_naming_the_field(
    result: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        parse_key_info(envelope(**result))
