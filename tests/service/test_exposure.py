"""
A shared unified account (issue 18): before the account-wide margin mode is switched, the whole
account is read (positions in every category and settle coin, spot-margin loans), and anything
outside the bot's pairs blocks the switch and the pairs that need it, naming it; once it is
gone, the next pass switches. Nothing more is read when no switch is planned.

Bybit: the margin mode is account-wide and isolated margin excludes options and spot margin
(https://bybit-exchange.github.io/docs/v5/account/set-margin-mode, reference A4).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import FailureKind, MarginMode, Outcome, PairTarget
from freqtrade_bybit_margin.service import Action, MarginService, RetryPolicy
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FastClock
from tests.sim_clients import sim_client, sim_service


CLOCK = FastClock()
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, deadline=2.0)
TARGETS = [
    PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal(5)),
    PairTarget("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal(4)),
]
OPTION = "BTC-27DEC24-60000-C"
#: The whole-account reads (beyond today's survey) for a USDT whitelist.
WHOLE_ACCOUNT = [
    (Endpoint.POSITION_LIST, {"category": "linear", "settleCoin": "USDC", "limit": "200"}),
    (Endpoint.POSITION_LIST, {"category": "inverse", "limit": "200"}),
    (Endpoint.POSITION_LIST, {"category": "option", "limit": "200"}),
    (Endpoint.WALLET_BALANCE, {"accountType": "UNIFIED"}),
]


def uta2(mode: str = "REGULAR_MARGIN") -> BybitSimulator:
    return BybitSimulator(account_type="uta2", account_margin_mode=mode, clock=CLOCK.ms)


def connect(sim: BybitSimulator) -> tuple[Any, MarginService]:
    client = sim_client(sim, probe=False, clock=CLOCK.ms)
    return client, sim_service(client, retry=FAST, clock=CLOCK.time, sleep=CLOCK.sleep)


def reads(sim: BybitSimulator) -> list[tuple[str, dict[str, Any]]]:
    """(path, query) of every signed GET after the markets were loaded, in order."""
    return [
        (e.path, dict(e.query))
        for e in sim.journal
        if e.method == "GET" and e.signed and e.path != Endpoint.COIN_INFO
    ]


def mode_switches(sim: BybitSimulator) -> list[Any]:
    return sim.requests(path=Endpoint.SET_MARGIN_MODE)


def close(client: Any, symbol: str, size: float) -> None:
    client.create_order(symbol, "market", "sell", size, params={"reduceOnly": True})


#: (what is seeded, what the reason names, how it goes away: None when it stays)
Seed = Callable[[BybitSimulator], None]
Gone = Callable[[BybitSimulator, Any], None] | None
FOREIGN: list[tuple[str, Seed, str, Gone]] = [
    (
        "usdc-perp",
        lambda sim: sim.open_position("BTCPERP", side="Buy", size="0.01"),
        "BTCPERP (linear USDC position)",
        lambda sim, client: close(client, "BTC/USD:USDC", 0.01),
    ),
    (
        "inverse",
        lambda sim: sim.open_position("BTCUSD", side="Buy", size="100"),
        "BTCUSD (inverse position)",
        lambda sim, client: close(client, "BTC/USD:BTC", 100),
    ),
    (
        "option",
        lambda sim: sim.open_option_position(OPTION),
        f"{OPTION} (option position)",
        None,
    ),
    (
        "spot-margin-loan",
        lambda sim: sim.set_borrow("USDT", "50"),
        "USDT (spot-margin loan 50)",
        lambda sim, client: sim.set_borrow("USDT", "0"),
    ),
]


@pytest.mark.parametrize(
    ("seed", "named", "gone"), [f[1:] for f in FOREIGN], ids=[f[0] for f in FOREIGN]
)
def test_anything_outside_the_pairs_blocks_the_account_wide_switch_until_it_is_gone(
    seed: Seed, named: str, gone: Gone
) -> None:
    sim = uta2()
    seed(sim)
    client, service = connect(sim)

    blocked = service.prepare(TARGETS)

    assert mode_switches(sim) == []
    assert sim.requests(path=Endpoint.SET_LEVERAGE) == []
    for result in blocked:
        assert (result.outcome, result.confirmed) == (Outcome.FAILED, False)
        assert result.failure is not None
        assert result.failure.kind is FailureKind.BLOCKED  # tried again later
        assert named in result.reason
    assert "isolated margin excludes options and spot margin" in blocked[0].reason
    if gone is None:
        return

    gone(sim, client)
    again = service.prepare(TARGETS)

    assert [e.body for e in mode_switches(sim)] == [{"setMarginMode": "ISOLATED_MARGIN"}]
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    assert all(r.confirmed for r in again)


def test_the_whole_account_is_read_once_only_when_a_switch_is_planned() -> None:
    planned = uta2("REGULAR_MARGIN")
    _, service = connect(planned)
    service.prepare(TARGETS)
    held = uta2("ISOLATED_MARGIN")
    _, restart = connect(held)
    restart.prepare(TARGETS)

    switching = reads(planned)
    assert [r for r in switching if r in WHOLE_ACCOUNT] == WHOLE_ACCOUNT
    # a restart where the account mode holds sends exactly the survey's reads, nothing more
    assert [path for path, _ in reads(held)] == [
        Endpoint.QUERY_API,  # ccxt's account probe
        Endpoint.ACCOUNT_INFO,
        Endpoint.POSITION_LIST,
        Endpoint.ORDER_REALTIME,
        Endpoint.ACCOUNT_INFO,
        Endpoint.POSITION_SYMBOL_INFO,
    ]
    assert [r for r in switching if r not in WHOLE_ACCOUNT] == reads(held)


def test_an_open_position_on_the_pairs_own_settle_coin_needs_no_more_reads() -> None:
    sim = uta2()
    sim.open_position("ADAUSDT", side="Buy", size="100")
    _, service = connect(sim)

    results = service.prepare(TARGETS)

    assert all("ADAUSDT" in r.reason for r in results)
    assert [r for r in reads(sim) if r in WHOLE_ACCOUNT] == []
    assert mode_switches(sim) == []


def test_plan_shows_the_blocked_switch_and_apply_reuses_its_reads() -> None:
    sim = uta2()
    sim.open_position("BTCPERP", side="Sell", size="0.01")
    _, service = connect(sim)

    planned = service.plan(TARGETS)
    service.prepare(TARGETS, plan=planned)

    step = planned.account_mode
    assert step is not None
    assert step.action is Action.BLOCKED
    assert "BTCPERP (linear USDC position)" in step.reason
    assert [p.action for p in planned.pairs] == [Action.BLOCKED, Action.BLOCKED]
    assert len(sim.requests(path=Endpoint.WALLET_BALANCE)) == 1  # read once for both
    assert mode_switches(sim) == []


def test_a_whole_account_that_cannot_be_read_is_not_switched() -> None:
    sim = uta2()
    sim.inject_fault(path=Endpoint.WALLET_BALANCE, ret_code=RetCode.PERMISSION_DENIED, times=None)
    _, service = connect(sim)

    results = service.prepare(TARGETS)

    assert mode_switches(sim) == []
    assert all(not r.confirmed for r in results)
    assert "could not be read before the account-wide switch" in results[0].reason


def test_a_collateral_limit_refusal_says_what_to_do() -> None:
    sim = uta2()
    sim.set_collateral_at_limit(["USDT"])
    _, service = connect(sim)

    results = service.prepare(TARGETS)

    assert [e.ret_code for e in mode_switches(sim)] == [RetCode.COLLATERAL_LIMIT]
    assert sim.requests(path=Endpoint.SET_LEVERAGE) == []
    for result in results:
        assert result.failure is not None
        assert result.failure.code == RetCode.COLLATERAL_LIMIT
        assert "disable that coin as collateral" in result.reason
