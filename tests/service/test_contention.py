"""
The contention guard (issue 17): two bots on one Bybit UID with different targets for one
symbol must not rewrite it back and forth, and neither may enter at the other's leverage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import FailureKind, MarginMode, PairTarget
from freqtrade_bybit_margin.service.contention import ACCOUNT, MAX_WRITES, Contention
from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


VERIFY = 10.0
BTC = "BTC/USDT:USDT"
OTHER_KEY, OTHER_SECRET = "secondbot0000000", "secondbotsecret000000000000000000"


def target(leverage: int) -> PairTarget:
    return PairTarget(BTC, MarginMode.ISOLATED, Decimal(leverage))


def writes_by(sim: BybitSimulator, key: str) -> list[Any]:
    return [
        e
        for e in sim.requests(path=Endpoint.SET_LEVERAGE, symbol="BTCUSDT")
        if e.headers.get("X-BAPI-API-KEY") == key and e.ret_code == 0
    ]


def test_two_bots_with_different_targets_stop_writing_and_say_so_once() -> None:
    clock = FakeClock()
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN", clock=clock.ms)
    sim.add_api_key(OTHER_KEY, OTHER_SECRET)
    told: dict[str, list[str]] = {"a": [], "b": []}

    def bot(name: str, key: str = DEFAULT_API_KEY, secret: str = "") -> Any:
        exchange = sim_client(sim, clock=clock.ms, types=("linear",))
        if secret:
            exchange.apiKey, exchange.secret = key, secret
        return sim_service(
            exchange,
            clock=clock.time,
            sleep=clock.sleep,
            contention_window=3 * VERIFY,
            on_contest=lambda contest: told[name].append(contest.reason),
        )

    a, b = bot("a"), bot("b", OTHER_KEY, OTHER_SECRET)
    a.prepare([target(5)])
    b.prepare([target(3)])
    entries: dict[str, list[bool]] = {"a": [], "b": []}
    for _ in range(18):  # three minutes of loops, every verify interval
        clock.sleep(VERIFY)
        a.maintain([target(5)], verify_interval=VERIFY)
        entries["a"].append(a.ensure(target(5), max_age=2).confirmed)
        b.maintain([target(3)], verify_interval=VERIFY)
        entries["b"].append(b.ensure(target(3), max_age=2).confirmed)

    assert len(writes_by(sim, DEFAULT_API_KEY)) <= MAX_WRITES
    assert len(writes_by(sim, OTHER_KEY)) <= MAX_WRITES
    # each bot found one contest (the bot says it once an hour); once more after a check
    assert set(told["a"]) == {
        "another client keeps setting BTC/USDT:USDT to 3x (this bot set 5x); not written "
        "again before it stays put"
    }
    assert len(set(told["b"])) == 1
    last = a.result_for(BTC)
    assert last is not None
    assert last.failure is not None
    assert last.failure.kind is FailureKind.CONTESTED


def test_a_setting_changed_away_twice_is_contested_and_resumes_once_it_stays_put() -> None:
    guard = Contention(window=30)
    guard.wrote(BTC, Decimal(5), at=0)
    assert guard.seen(BTC, Decimal(5), at=1) is None
    assert guard.seen(BTC, Decimal(3), at=10) is None  # once: set back, no contest yet
    assert guard.seen(BTC, Decimal(3), at=11) is None  # the same change read again
    guard.wrote(BTC, Decimal(5), at=12)
    contest = guard.seen(BTC, Decimal(3), at=20)  # twice within the window: contested
    assert contest is not None
    assert (contest.ours, contest.theirs) == ("5x", "3x")
    assert guard.blocks(BTC, at=21) is contest
    early = contest.recheck_at - 1
    assert guard.seen(BTC, Decimal(3), at=early) is None  # not yet time to look again
    assert guard.blocks(BTC, at=early) is not None
    guard.seen(BTC, Decimal(3), at=contest.recheck_at)  # it stayed put: writing resumes
    assert guard.blocks(BTC, at=contest.recheck_at) is None
    guard.wrote(BTC, Decimal(5), at=contest.recheck_at)
    again = guard.seen(BTC, Decimal(3), at=contest.recheck_at + 1)  # once is enough now
    assert again is not None
    assert again.recheck_at - again.since == 2 * (contest.recheck_at - contest.since)


def test_a_setting_still_changing_at_its_check_stays_contested_with_a_longer_wait() -> None:
    guard = Contention(window=30)
    guard.wrote(ACCOUNT, "ISOLATED_MARGIN", at=0)
    guard.seen(ACCOUNT, "REGULAR_MARGIN", at=5)
    guard.wrote(ACCOUNT, "ISOLATED_MARGIN", at=6)
    first = guard.seen(ACCOUNT, "REGULAR_MARGIN", at=7)
    assert first is not None
    guard.seen(ACCOUNT, "PORTFOLIO_MARGIN", at=first.recheck_at)  # still moving
    later = guard.blocks(ACCOUNT, at=first.recheck_at)
    assert later is not None
    assert later.recheck_at - first.recheck_at > first.recheck_at - first.since


def test_writes_of_one_setting_are_bounded_whatever_is_read() -> None:
    guard = Contention(window=1)  # changes too far apart to count as contention
    for n in range(MAX_WRITES):
        assert guard.blocks(BTC, at=n * 10) is None
        guard.wrote(BTC, Decimal(5), at=n * 10)
    assert guard.blocks(BTC, at=MAX_WRITES * 10) is not None
    assert guard.blocks(BTC, at=200) is None  # three minutes after the first
