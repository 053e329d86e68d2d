"""MarginService against the simulator: the calls made and the state reached, per account type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import (
    AccountType,
    FailureKind,
    MarginMode,
    Mechanism,
    Outcome,
    PairTarget,
)
from freqtrade_bybit_margin.service import Action, MarginService, RetryPolicy
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FastClock
from tests.sim_clients import sim_client, sim_service


ISO = MarginMode.ISOLATED
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, deadline=3.0)
WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)


#: Waits (rate-limit windows, back-offs, retries) pass ten times faster, on one clock shared
#: by the simulator, ccxt's timestamps and the service.
CLOCK = FastClock()


def connect(sim: BybitSimulator) -> Any:
    return sim_client(sim, probe=False, clock=CLOCK.ms)


def service(sim: BybitSimulator, **kwargs: Any) -> MarginService:
    kwargs = {"clock": CLOCK.time, "sleep": CLOCK.sleep, **kwargs}
    return sim_service(connect(sim), retry=FAST, **kwargs)


def targets(*spec: tuple[str, float]) -> list[PairTarget]:
    return [PairTarget(pair, ISO, Decimal(str(leverage))) for pair, leverage in spec]


def writes(sim: BybitSimulator, symbol: str | None = None) -> list[tuple[str, Any]]:
    """(path, retCode) of every margin write, in order."""
    return [
        (entry.path, entry.ret_code)
        for entry in sim.journal
        if entry.path in WRITES and (symbol is None or entry.symbol == symbol)
    ]


THREE = targets(("BTC/USDT:USDT", 5), ("ETH/USDT:USDT", 4), ("SOL/USDT:USDT", 3))


# -- Classic ------------------------------------------------------------------------------------


def test_classic_switches_each_pair_in_one_call() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    svc = service(sim)

    results = svc.prepare(THREE)

    assert svc.account_type is AccountType.CLASSIC
    assert [(r.pair, r.outcome, r.confirmed, r.requests) for r in results] == [
        ("BTC/USDT:USDT", Outcome.CHANGED, True, 1),
        ("ETH/USDT:USDT", Outcome.CHANGED, True, 1),
        ("SOL/USDT:USDT", Outcome.CHANGED, True, 1),
    ]
    assert {r.mechanism for r in results} == {Mechanism.SWITCH_ISOLATED}
    assert sorted(writes(sim)) == [(Endpoint.SWITCH_ISOLATED, 0)] * 3
    bodies = {e.symbol: e.body for e in sim.requests(path=Endpoint.SWITCH_ISOLATED)}
    assert bodies["BTCUSDT"] == {
        "category": "linear",
        "symbol": "BTCUSDT",
        "tradeMode": 1,
        "buyLeverage": "5",
        "sellLeverage": "5",
    }
    for symbol, leverage in (("BTCUSDT", "5"), ("ETHUSDT", "4"), ("SOLUSDT", "3")):
        state = sim.symbol_state(symbol)
        assert (state["trade_mode"], float(state["leverage"])) == (1, float(leverage))


def test_classic_restart_with_everything_right_reads_and_writes_nothing() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")

    [result] = service(sim).prepare(THREE[:1])

    assert (result.outcome, result.confirmed, result.requests) == (Outcome.UNCHANGED, True, 0)
    assert writes(sim) == []
    reads = sim.requests(path=Endpoint.POSITION_LIST)
    assert [e.query.get("symbol") for e in reads if "symbol" in e.query] == ["BTCUSDT"]


def test_classic_mode_right_but_leverage_wrong_sets_the_leverage() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="10")

    [result] = service(sim).prepare(THREE[:1])

    assert (result.outcome, result.confirmed, result.requests) == (Outcome.CHANGED, True, 1)
    assert writes(sim) == [(Endpoint.SET_LEVERAGE, RetCode.OK)]
    assert float(sim.symbol_state("BTCUSDT")["leverage"]) == 5


# -- UTA2.0 -------------------------------------------------------------------------------------


def test_uta2_sets_account_mode_once_then_leverage_per_pair() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="REGULAR_MARGIN", clock=CLOCK.ms)
    svc = service(sim)

    results = svc.prepare(THREE)

    assert svc.account_type is AccountType.UTA2
    assert all(r.confirmed and r.outcome is Outcome.CHANGED for r in results)
    assert {r.mechanism for r in results} == {Mechanism.ACCOUNT_MODE}
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    margin_sets = sim.requests(path=Endpoint.SET_MARGIN_MODE)
    assert [e.body for e in margin_sets] == [{"setMarginMode": "ISOLATED_MARGIN"}]
    leverage_sets = sim.requests(path=Endpoint.SET_LEVERAGE)
    assert sorted((e.symbol, e.body["buyLeverage"]) for e in leverage_sets) == [
        ("BTCUSDT", "5"),
        ("ETHUSDT", "4"),
        ("SOLUSDT", "3"),
    ]
    assert all(e.seq > margin_sets[0].seq for e in leverage_sets)
    assert sim.requests(path=Endpoint.SWITCH_ISOLATED) == []


def test_uta2_account_mode_already_right_is_not_set_again() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    svc = service(sim)

    first = svc.prepare(THREE)
    second = svc.prepare(THREE)

    assert sim.requests(path=Endpoint.SET_MARGIN_MODE) == []
    assert [r.outcome for r in first] == [Outcome.CHANGED] * 3
    assert [r.outcome for r in second] == [Outcome.UNCHANGED] * 3
    assert all(r.confirmed for r in second)


def test_uta2_restart_reads_all_leverages_at_once_and_writes_nothing() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    for symbol, leverage in (("BTCUSDT", "5"), ("ETHUSDT", "4"), ("SOLUSDT", "3")):
        sim.set_symbol(symbol, leverage=leverage)
    sim.set_symbol("SOLUSDT", leverage="7")

    results = service(sim).prepare(THREE)

    assert [(r.outcome, r.requests) for r in results] == [
        (Outcome.UNCHANGED, 0),
        (Outcome.UNCHANGED, 0),
        (Outcome.CHANGED, 1),
    ]
    assert all(r.confirmed for r in results)
    assert len(sim.requests(path=Endpoint.POSITION_SYMBOL_INFO)) == 1
    assert writes(sim) == [(Endpoint.SET_LEVERAGE, 0)]
    assert float(sim.symbol_state("SOLUSDT")["leverage"]) == 3


def test_without_the_leverage_read_every_pair_is_written() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.POSITION_SYMBOL_INFO, ret_code=RetCode.PARAMS_ERROR, times=None)
    svc = service(sim)

    first = svc.prepare(THREE)
    second = svc.prepare(THREE)

    assert all(r.confirmed for r in first + second)
    assert [r.outcome for r in second] == [Outcome.UNCHANGED] * 3
    assert len(sim.requests(path=Endpoint.POSITION_SYMBOL_INFO)) == 1  # not asked again
    # read pair by pair instead: the second pass finds everything at target and writes nothing
    assert [code for _, code in writes(sim)] == [0] * 3


def test_uta2_account_mode_cannot_change_with_open_positions() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="REGULAR_MARGIN", clock=CLOCK.ms)
    sim.open_position("ADAUSDT", side="Buy", size="100")

    results = service(sim).prepare(THREE)

    assert [(r.outcome, r.confirmed) for r in results] == [(Outcome.FAILED, False)] * 3
    assert "ADAUSDT" in results[0].reason
    assert "account-wide" in results[0].reason
    assert writes(sim) == []
    assert sim.account_margin_mode == "REGULAR_MARGIN"


# -- UTA1.0 -------------------------------------------------------------------------------------


def test_uta1_uses_account_mode_for_linear_and_switch_isolated_for_inverse() -> None:
    sim = BybitSimulator(account_type="uta1", account_margin_mode="REGULAR_MARGIN", clock=CLOCK.ms)
    svc = service(sim)

    results = svc.prepare(targets(("BTC/USDT:USDT", 5), ("BTC/USD:BTC", 2)))

    assert [r.mechanism for r in results] == [Mechanism.ACCOUNT_MODE, Mechanism.SWITCH_ISOLATED]
    assert all(r.confirmed for r in results)
    assert [e.symbol for e in sim.requests(path=Endpoint.SWITCH_ISOLATED)] == ["BTCUSD"]
    assert [e.symbol for e in sim.requests(path=Endpoint.SET_LEVERAGE)] == ["BTCUSDT"]
    assert len(sim.requests(path=Endpoint.SET_MARGIN_MODE)) == 1


# -- open positions and orders ------------------------------------------------------------------


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_pair_with_open_position_is_never_switched(account: str) -> None:
    sim = BybitSimulator(
        account_type=account, account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms
    )
    sim.set_symbol("ETHUSDT", trade_mode=1, leverage="2")
    sim.open_position("ETHUSDT", side="Buy", size="0.5")

    results = {r.pair: r for r in service(sim).prepare(THREE)}

    eth = results["ETH/USDT:USDT"]
    assert (eth.outcome, eth.confirmed) == (Outcome.SKIPPED, False)
    assert "open position" in eth.reason
    assert writes(sim, "ETHUSDT") == []
    assert sim.symbol_state("ETHUSDT")["leverage"] in ("2", "2.00")
    assert results["BTC/USDT:USDT"].confirmed


def test_skipped_pair_already_at_target_counts_as_confirmed() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    sim.set_symbol("ETHUSDT", trade_mode=1, leverage="4")
    sim.open_position("ETHUSDT", side="Sell", size="0.5")

    eth = service(sim).prepare(THREE)[1]

    assert (eth.outcome, eth.confirmed) == (Outcome.SKIPPED, True)
    assert writes(sim, "ETHUSDT") == []


def test_pair_with_open_order_is_skipped() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="1")

    sol = service(sim).prepare(THREE)[2]

    assert sol.outcome is Outcome.SKIPPED
    assert "open order" in sol.reason
    assert writes(sim, "SOLUSDT") == []


def test_exposure_is_read_in_two_requests_whatever_the_number_of_pairs() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    service(sim).prepare(THREE)
    position_reads = sim.requests(path=Endpoint.POSITION_LIST)
    order_reads = sim.requests(path=Endpoint.ORDER_REALTIME)
    assert [e.query.get("settleCoin") for e in position_reads] == ["USDT"]
    assert [e.query.get("settleCoin") for e in order_reads] == ["USDT"]


# -- failures -----------------------------------------------------------------------------------


def test_mixed_success_and_refusal() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    sim.refuse(path=Endpoint.SET_LEVERAGE, symbol="ETHUSDT", ret_code=RetCode.LEVERAGE_RISK_LIMIT)

    results = {r.pair: r for r in service(sim).prepare(THREE)}

    eth = results["ETH/USDT:USDT"]
    assert (eth.outcome, eth.confirmed, eth.retryable) == (Outcome.FAILED, False, False)
    assert "110013" in eth.reason
    assert writes(sim, "ETHUSDT") == [(Endpoint.SET_LEVERAGE, RetCode.LEVERAGE_RISK_LIMIT)]
    assert results["BTC/USDT:USDT"].confirmed
    assert results["SOL/USDT:USDT"].confirmed


@pytest.mark.parametrize("code", [RetCode.TOO_MANY_VISITS, RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW])
def test_retryable_failure_is_retried_then_succeeds(code: int) -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=code, times=1)

    [result] = service(sim).prepare(THREE[:1])

    assert (result.outcome, result.confirmed, result.requests) == (Outcome.CHANGED, True, 2)
    assert writes(sim) == [(Endpoint.SET_LEVERAGE, code), (Endpoint.SET_LEVERAGE, 0)]


def test_http_5xx_is_retried() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, http_status=503, times=1)

    [result] = service(sim).prepare(THREE[:1])

    assert result.confirmed
    assert len(sim.requests(path=Endpoint.SWITCH_ISOLATED)) == 2


def test_retries_are_bounded() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=RetCode.SERVER_TIMEOUT, times=None)

    [result] = service(sim).prepare(THREE[:1])

    assert (result.outcome, result.retryable) == (Outcome.FAILED, True)
    assert "10016" in result.reason
    assert len(sim.requests(path=Endpoint.SET_LEVERAGE)) == FAST.attempts


def test_rate_limit_waits_are_bounded_by_the_deadline() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=RetCode.TOO_MANY_VISITS, times=None)
    policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, deadline=0.5)

    [result] = sim_service(connect(sim), retry=policy, clock=CLOCK.time, sleep=CLOCK.sleep).prepare(
        THREE[:1]
    )

    assert result.failure is not None
    assert (result.outcome, result.retryable, result.failure.kind) == (
        Outcome.FAILED,
        True,
        FailureKind.RATE_LIMITED,
    )
    assert 1 <= len(sim.requests(path=Endpoint.SET_LEVERAGE)) <= 3


def test_fatal_failure_is_not_retried() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=RetCode.PERMISSION_DENIED, times=None)

    results = service(sim).prepare(THREE)

    assert all(r.outcome is Outcome.FAILED and not r.retryable for r in results)
    assert {r.failure.kind for r in results if r.failure} == {FailureKind.PERMISSION}
    assert len(sim.requests(path=Endpoint.SET_LEVERAGE)) == 3


def test_set_margin_mode_refusal_fails_every_account_mode_pair_with_bybit_reasons() -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="REGULAR_MARGIN", clock=CLOCK.ms)
    sim.inject_fault(
        path=Endpoint.SET_MARGIN_MODE,
        ret_code=RetCode.SET_MARGIN_MODE_FAILED,
        result={"reasons": [{"reasonCode": "3400101", "reasonMsg": "positions exist"}]},
        times=None,
    )

    results = service(sim).prepare(THREE)

    assert all(r.outcome is Outcome.FAILED for r in results)
    assert "positions exist" in results[0].reason
    assert sim.requests(path=Endpoint.SET_LEVERAGE) == []


def test_unreadable_positions_mean_no_switch_at_all() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    sim.inject_fault(path=Endpoint.POSITION_LIST, ret_code=RetCode.PERMISSION_DENIED, times=None)

    results = service(sim).prepare(THREE)

    assert all(r.outcome is Outcome.FAILED for r in results)
    assert "could not read open positions" in results[0].reason
    assert writes(sim) == []


def test_unknown_pair_fails_alone() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    results = service(sim).prepare(targets(("NOPE/USDT:USDT", 3), ("BTC/USDT:USDT", 5)))
    assert [(r.outcome, r.failure and r.failure.exception) for r in results] == [
        (Outcome.FAILED, "BadSymbol"),
        (Outcome.CHANGED, None),
    ]


# -- pacing -------------------------------------------------------------------------------------


def test_sixty_pairs_stay_under_the_per_uid_limit() -> None:
    clock = FastClock()
    sim = BybitSimulator(
        account_type="uta2", rate_limits=True, extra_linear_symbols=60, clock=clock.ms
    )
    pairs = [PairTarget(f"S{i:03d}/USDT:USDT", ISO, Decimal("2")) for i in range(1, 61)]
    exchange = sim_client(sim, probe=False, clock=clock.ms)
    svc = sim_service(exchange, retry=FAST, max_workers=8, clock=clock.time, sleep=clock.sleep)

    results = svc.prepare(pairs)

    assert all(r.confirmed for r in results)
    assert [e for e in sim.journal if e.ret_code == RetCode.TOO_MANY_VISITS] == []
    assert len(sim.requests(path=Endpoint.SET_LEVERAGE)) == 60


# -- memory and read-only views -----------------------------------------------------------------


def test_entry_gate_answers_from_memory() -> None:
    sim = BybitSimulator(account_type="classic", clock=CLOCK.ms)
    svc = service(sim)
    svc.prepare(THREE[:1])
    before = len(sim.journal)

    assert svc.is_confirmed(THREE[0])
    assert not svc.is_confirmed(PairTarget("BTC/USDT:USDT", ISO, Decimal("6")))
    assert not svc.is_confirmed(THREE[1])
    assert svc.result_for("ETH/USDT:USDT") is None
    assert len(sim.journal) == before


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_plan_and_status_are_read_only(account: str) -> None:
    sim = BybitSimulator(account_type=account, account_margin_mode="REGULAR_MARGIN", clock=CLOCK.ms)
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    sim.open_position("SOLUSDT", side="Buy", size="1")
    svc = service(sim)

    plan = svc.plan(THREE)
    status, plans = plan.status, plan.pairs

    assert [e for e in sim.journal if e.method == "POST"] == []
    actions = {plan.target.pair: plan.action for plan in plans}
    assert actions["SOL/USDT:USDT"] is Action.BLOCKED
    if account == "classic":
        assert actions["BTC/USDT:USDT"] is Action.NONE
        assert actions["ETH/USDT:USDT"] is Action.SWITCH
        assert status.account_margin_mode is None
    else:
        assert status.account_margin_mode == "REGULAR_MARGIN"
        assert actions["ETH/USDT:USDT"] is Action.BLOCKED  # account mode blocked by SOL
    sol = status.pairs[2]
    assert (sol.position_size, sol.busy) == (1.0, True)
