"""
Bybit's lowered maxima (issue 18), on the service alone: since automatic risk limits Bybit
refuses a leverage above a symbol's live maximum with 110013 ``cannot set leverage [3000] gt
maxLeverage [2500] by risk limit`` (the simulator answers exactly that). ``over_max: block``
refuses the pair naming Bybit's maximum and its target; ``over_max: clamp`` sets the maximum
and asks for it from then on. The same rule when the market's ``leverageFilter.maxLeverage``
(reloaded) is below the target.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import FailureKind, MarginMode, Outcome, PairTarget
from freqtrade_bybit_margin.service import MarginService
from freqtrade_bybit_margin.service.over_max import Clamp
from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.cli.helpers import run, write_config
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


BTC = PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal(30))
ETH = PairTarget("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal(4))
WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE)


def setup(
    account: str, *, clamp: bool, lowered_before_markets: bool = False
) -> tuple[BybitSimulator, FakeClock, Any, MarginService, list[Clamp]]:
    """A service whose markets say BTC goes to 100x while Bybit's live maximum is 25x (its risk
    limit), or, with ``lowered_before_markets``, whose markets say 25x too."""
    clock = FakeClock()
    sim = BybitSimulator(account, clock=clock.ms, account_margin_mode="ISOLATED_MARGIN")
    if lowered_before_markets:
        sim.set_max_leverage("BTCUSDT", "25")
    client = sim_client(sim, clock=clock.ms)
    sim.set_max_leverage("BTCUSDT", "25")  # Bybit lowers it; the client's markets are older
    told: list[Clamp] = []
    service = sim_service(
        client, clock=clock.time, sleep=clock.sleep, clamp_over_max=clamp, on_clamp=told.append
    )
    return sim, clock, client, service, told


def writes(sim: BybitSimulator, symbol: str = "BTCUSDT") -> list[tuple[str, str, int | None]]:
    return [
        (e.path, str((e.body or {}).get("buyLeverage")), e.ret_code)
        for e in sim.journal
        if e.path in WRITES and e.symbol == symbol
    ]


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_block_refuses_naming_bybits_maximum_and_the_target(account: str) -> None:
    sim, _, _, service, told = setup(account, clamp=False)

    btc, eth = service.prepare([BTC, ETH])

    assert (btc.confirmed, btc.outcome) == (False, Outcome.FAILED)
    assert btc.failure is not None
    assert (btc.failure.kind, btc.failure.code) == (FailureKind.REFUSED, 110013)
    assert btc.failure.max_leverage == Decimal(25)
    assert "Bybit's maximum leverage for BTC/USDT:USDT is 25x now" in btc.reason
    assert "below its target 30x" in btc.reason
    assert "over_max" in btc.reason
    assert [code for _, _, code in writes(sim)] == [int(RetCode.LEVERAGE_RISK_LIMIT)]
    assert sim.symbol_state("BTCUSDT")["leverage"] != "25"
    assert eth.confirmed  # the other pairs are prepared as usual
    assert told == []
    assert service.over_max.allowed(BTC) == BTC


@pytest.mark.parametrize("account", ["classic", "uta2"])
def test_clamp_sets_bybits_maximum_and_asks_for_it_from_then_on(account: str) -> None:
    sim, clock, _, service, told = setup(account, clamp=True)

    (btc,) = service.prepare([BTC])

    clamped = PairTarget(BTC.pair, BTC.margin_mode, Decimal(25))
    assert (btc.confirmed, btc.target, btc.clamped_from) == (True, clamped, Decimal(30))
    assert btc.reason.startswith("clamped 30x -> 25x: Bybit's maximum leverage for BTC")
    assert sim.symbol_state("BTCUSDT")["leverage"] == "25"
    assert [code for _, _, code in writes(sim)] == [110013, 0]
    assert [clamp.change for clamp in told] == ["clamped 30x -> 25x"]
    assert service.over_max.allowed(BTC) == clamped

    # the caller asks for the clamped target: no write back and forth, nothing told again
    clock.sleep(600)
    service.maintain([service.over_max.allowed(BTC)], verify_interval=60)
    service.prepare([service.over_max.allowed(BTC)])
    assert len(writes(sim)) == 2
    assert len(told) == 1


def test_clamp_is_kept_for_a_day_then_the_target_is_tried_once_more() -> None:
    sim, clock, _, service, told = setup("uta2", clamp=True)
    service.prepare([BTC])

    clock.sleep(86400 + 1)
    assert service.over_max.allowed(BTC) == BTC
    (btc,) = service.prepare([BTC])

    assert (btc.confirmed, btc.target.leverage) == (True, Decimal(25))
    assert [code for _, _, code in writes(sim)] == [110013, 0, 110013]  # one try, no set-back
    assert len(told) == 1


@pytest.mark.parametrize("clamp", [False, True])
def test_a_market_maximum_below_the_target_is_the_same_rule(clamp: bool) -> None:
    sim, _, _, service, told = setup("uta2", clamp=clamp, lowered_before_markets=True)

    (btc,) = service.prepare([BTC])

    if clamp:
        assert (btc.confirmed, btc.target.leverage, btc.clamped_from) == (True, 25, 30)
        assert [code for _, _, code in writes(sim)] == [0]  # straight to the maximum
        assert "leverageFilter.maxLeverage" in told[0].reason
    else:
        assert not btc.confirmed
        assert "is 25x now (its market's leverageFilter.maxLeverage), below its target 30x" in (
            btc.reason
        )
        assert writes(sim) == []  # Bybit would refuse it: nothing is sent
        assert not service.ensure(BTC, max_age=0).confirmed
        assert writes(sim) == []


def test_a_reloaded_market_below_the_target_is_seen() -> None:
    sim, clock, client, service, _ = setup("uta2", clamp=False)
    target = PairTarget(BTC.pair, BTC.margin_mode, Decimal(20))
    assert service.prepare([target])[0].confirmed
    sim.set_max_leverage("BTCUSDT", "15")
    client.load_markets(reload=True)  # freqtrade reloads its markets every hour
    clock.sleep(5)
    mark = len(writes(sim))

    result = service.ensure(target, max_age=0)

    assert not result.confirmed
    assert "is 15x now (its market's leverageFilter.maxLeverage), below its target 20x" in (
        result.reason
    )
    assert len(writes(sim)) == mark


def test_an_order_of_an_open_trade_is_never_clamped() -> None:
    _, _, _, service, told = setup("uta2", clamp=True)

    result = service.ensure(BTC, max_age=0, own_position=True)

    assert not result.confirmed
    assert result.target == BTC
    assert told == []


# -- the CLI's apply: the same config key, the same rule ----------------------------------------


@pytest.mark.parametrize("over_max", ["block", "clamp"])
def test_cli_apply_on_a_110013_pair(
    over_max: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN")
    # Bybit's live maximum (risk limit) below what its instruments-info still says: 25x
    sim.inject_fault(
        path=Endpoint.SET_LEVERAGE,
        symbol="BTCUSDT",
        ret_code=110013,
        ret_msg="cannot set leverage [3000] gt maxLeverage [2500] by risk limit",
    )
    with ThreadedSimulatorServer(sim) as server:
        files = write_config(tmp_path, server.url, extra=cli_section(over_max))
        code = run(files, "apply", "--yes")

    out = " ".join(capsys.readouterr().out.split())
    if over_max == "block":
        assert code == 1  # not every pair confirmed
        assert "Bybit's maximum leverage for BTC/USDT:USDT is 25x now" in out
        assert "below its target 30x" in out
        assert sim.symbol_state("BTCUSDT")["leverage"] == "10"
    else:
        assert code == 0  # every pair confirmed, BTC at Bybit's maximum
        assert "BTC/USDT:USDT isolated 10x isolated 25x changed [1]" in out
        assert "[1] clamped 30x -> 25x: Bybit's maximum leverage" in out
        assert sim.symbol_state("BTCUSDT")["leverage"] == "25"
    assert [e.ret_code for e in sim.requests(path=Endpoint.SET_LEVERAGE, symbol="BTCUSDT")] == (
        [110013] if over_max == "block" else [110013, 0]
    )


@pytest.mark.parametrize("over_max", ["block", "clamp"])
def test_cli_apply_with_a_market_maximum_below_the_target(
    over_max: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN")
    sim.set_max_leverage("BTCUSDT", "25")
    with ThreadedSimulatorServer(sim) as server:
        files = write_config(tmp_path, server.url, extra=cli_section(over_max))
        code = run(files, "apply", "--yes")

    captured = capsys.readouterr()
    if over_max == "block":  # the static check: a leverage the market does not allow
        assert code == 2
        assert "leverage 30 for BTC/USDT:USDT is not allowed by its market; allowed: 1 to 25" in (
            captured.err
        )
        assert sim.requests(path=Endpoint.SET_LEVERAGE) == []
    else:
        assert code == 0
        first = sim.requests(path=Endpoint.SET_LEVERAGE, symbol="BTCUSDT")[0]
        assert (first.body or {}).get("buyLeverage") == "25"
        assert "clamped 30x -> 25x" in captured.out


def cli_section(over_max: str) -> dict[str, Any]:
    pairs = {"BTC/USDT:USDT": 30, "ETH/.*": 4}
    return {"bybit_margin": {"leverage": 3, "pair_leverage": pairs, "over_max": over_max}}
