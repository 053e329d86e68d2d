"""
An IP ban (HTTP 403) met on ccxt's own requests (typing the account, loading markets) pauses the
service as one met on its own reads and writes does: announced once, nothing sent before the
pause ends, and a pair that could not be prepared is tried again right after it, not before.
"""

from __future__ import annotations

from decimal import Decimal

from freqtrade_bybit_margin.model import FailureKind, MarginMode, PairTarget
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


PAIR = "BTC/USDT:USDT"
TARGET = PairTarget(PAIR, MarginMode.ISOLATED, Decimal(5))
PAUSE = 600.0


def banned_service(*, probe: bool) -> tuple[BybitSimulator, MarginService, FakeClock, list[str]]:
    """A service whose first request meets an IP ban (the account not typed yet if not
    ``probe``d), on one fake clock shared with the simulator."""
    clock = FakeClock()
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=clock.ms)
    exchange = sim_client(sim, types=("linear",), probe=probe, clock=clock.ms)
    told: list[str] = []
    service = sim_service(
        exchange, clock=clock.time, sleep=clock.sleep, max_workers=1, on_pause=told.append
    )
    sim.ban_ip()
    return sim, service, clock, told


def test_a_ban_met_typing_the_account_pauses_every_request_and_is_announced_once() -> None:
    sim, service, clock, told = banned_service(probe=False)
    loaded = len(sim.journal)  # the markets, loaded before the ban

    first = service.prepare([TARGET])[0]
    sent = len(sim.journal)
    clock.sleep(PAUSE / 2)
    again = service.prepare([TARGET])[0]

    assert first.failure is not None
    assert first.failure.kind is FailureKind.IP_BANNED
    assert again.failure is not None
    assert again.failure.kind is FailureKind.IP_BANNED
    assert [e.http_status for e in sim.journal[loaded:]] == [403]  # none sent in the pause
    assert len(sim.journal) == sent
    assert len(told) == 1
    assert "paused for 10 minutes" in told[0]
    assert not first.confirmed


def test_after_the_pause_the_same_service_types_the_account_and_prepares() -> None:
    sim, service, clock, _ = banned_service(probe=False)
    service.prepare([TARGET])

    clock.sleep(PAUSE + 1)
    result = service.prepare([TARGET])[0]

    assert result.confirmed, result.reason
    assert sim.symbol_state("BTCUSDT")["leverage"] == "5"


def test_a_pair_failed_by_the_ban_is_not_due_again_before_the_pause_ends() -> None:
    sim, service, clock, _ = banned_service(probe=True)
    failed = service.prepare([TARGET])[0]
    sent = len(sim.journal)

    clock.sleep(PAUSE - 5)  # far beyond the back-off of a transient failure (5 s, doubling)
    service.maintain([TARGET], verify_interval=900)
    waiting = service.result_for(PAIR)
    clock.sleep(10)
    service.maintain([TARGET], verify_interval=900)

    assert waiting == failed  # not tried again (and failed again unsent) during the pause
    assert len(sim.journal) > sent
    assert service.is_confirmed(TARGET)
