"""Three bots on one Bybit UID share its per-UID limits: every pair ends confirmed, and the bots
share the window instead of bursting into each other's (few answers 10006)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import MarginMode, PairResult, PairTarget
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FastClock
from tests.sim_clients import sim_client, sim_service


def test_three_bots_on_one_uid_confirm_sixty_pairs_with_few_10006() -> None:
    clock = FastClock()
    sim = BybitSimulator(
        account_type="uta2",
        account_margin_mode="ISOLATED_MARGIN",
        extra_linear_symbols=60,
        rate_limits=False,
        clock=clock.ms,
    )
    sim.add_api_key("secondkey0000000", "secondsecret000000000000000000000")
    clients = [sim_client(sim, types=("linear",), clock=clock.ms) for _ in range(3)]
    clients[1].apiKey, clients[1].secret = "secondkey0000000", "secondsecret000000000000000000000"
    sim.rate_limits = True
    sim.latency_ms = 50 / clock.factor  # 50 ms on the fast clock, as bench_budget runs it
    names = [f"S{i:03d}/USDT:USDT" for i in range(1, 61)]
    start = threading.Barrier(3)
    results: list[PairResult] = []

    def bot(exchange: Any, share: list[str]) -> None:
        service = sim_service(exchange, clock=clock.time, sleep=clock.sleep)
        service.account_type  # noqa: B018  (cached probe: no request)
        start.wait()
        results.extend(
            service.prepare([PairTarget(p, MarginMode.ISOLATED, Decimal("3")) for p in share])
        )

    threads = [
        threading.Thread(target=bot, args=(client, names[k::3])) for k, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(results) == 60
    assert [r.pair for r in results if not r.confirmed] == []
    leverage_sets = sim.requests(path=Endpoint.SET_LEVERAGE)
    refused = [e for e in leverage_sets if e.ret_code == RetCode.TOO_MANY_VISITS]
    assert len(refused) <= 10  # was 65 when each bot paced by its own count alone
    assert len(leverage_sets) == 60 + len(refused)  # every 10006 waited out, then written
    assert {e.symbol for e in leverage_sets if e.ret_code == RetCode.OK} == {
        n.split("/")[0] + "USDT" for n in names
    }
