"""``plan`` / ``status`` / ``apply`` on symbols in hedge mode (issue 18): the plan's switch of a
flat hedged pair starts with switch-mode to one-way, a hedged pair with a position is blocked
with the reason, status names the position mode. Read-only commands write nothing."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clock import FastClock

from .helpers import Server, run, write_config, writes


def hedged(sim_server: Server, clock: FastClock) -> Any:
    """Classic: BTC hedged at its target (isolated 5x both sides) and flat; ETH hedged with a
    long open (the empty Sell side listed first, at the target 4x)."""
    server = sim_server("classic", clock=clock.ms)
    sim = server.sim
    for symbol, leverage in (("BTCUSDT", "5"), ("ETHUSDT", "4")):
        sim.set_symbol(symbol, trade_mode=1, leverage=leverage)
        sim.set_position_mode(symbol, hedge=True)
    sim.open_position("ETHUSDT", side="Buy", size="0.1", leverage="10")
    return server


def line_of(out: str, pair: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(pair))


@pytest.mark.usefixtures("wide")
def test_plan_and_status_show_hedge_mode(
    sim_server: Server, fast_clock: FastClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = hedged(sim_server, fast_clock)
    files = write_config(tmp_path, server.url)

    assert run(files, "plan") == 0
    out = capsys.readouterr().out
    assert "isolated 5x (hedge)" in line_of(out, "BTC/USDT:USDT")
    assert "switch [1]" in line_of(out, "BTC/USDT:USDT")
    assert "[1] hedge mode: to one-way first (POST /v5/position/switch-mode;" in out
    assert "blocked [2]" in line_of(out, "ETH/USDT:USDT")
    assert "[2] hedge mode with open position (Buy 0.1)" in out
    assert "(hedge)" not in line_of(out, "SOL/USDT:USDT")

    assert run(files, "plan", "--json") == 0
    rows = {row["pair"]: row for row in json.loads(capsys.readouterr().out)["pairs"]}
    assert rows["BTC/USDT:USDT"]["position_mode"] == "hedge"
    assert rows["BTC/USDT:USDT"]["action"] == "switch"
    assert "switch-mode" in rows["BTC/USDT:USDT"]["reason"]
    assert (rows["ETH/USDT:USDT"]["action"], rows["ETH/USDT:USDT"]["position_mode"]) == (
        "blocked",
        "hedge",
    )
    assert "hedge mode" in rows["ETH/USDT:USDT"]["reason"]
    assert rows["ETH/USDT:USDT"]["current_leverage"] == 10  # the open side's, not the empty one's
    assert rows["SOL/USDT:USDT"]["position_mode"] == "one-way"

    assert run(files, "status") == 0
    out = capsys.readouterr().out
    assert "isolated (hedge)" in line_of(out, "BTC/USDT:USDT")
    assert "Buy 0.1" in line_of(out, "ETH/USDT:USDT")
    assert "Hedge mode on: BTC/USDT:USDT, ETH/USDT:USDT." in out

    assert run(files, "status", "--json") == 0
    rows = {row["pair"]: row for row in json.loads(capsys.readouterr().out)["pairs"]}
    assert {pair: row["position_mode"] for pair, row in rows.items()} == {
        "BTC/USDT:USDT": "hedge",
        "ETH/USDT:USDT": "hedge",
        "SOL/USDT:USDT": "one-way",
        "XRP/USDT:USDT": "one-way",
    }
    assert writes(server.sim) == []
    assert server.sim.requests(path="/v5/position/switch-mode") == []


def test_apply_switches_the_flat_hedged_pair_and_skips_the_busy_one(
    sim_server: Server, fast_clock: FastClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = hedged(sim_server, fast_clock)
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes", "--json") == 1  # ETH is not confirmed

    rows = {row["pair"]: row for row in json.loads(capsys.readouterr().out)["pairs"]}
    assert (rows["BTC/USDT:USDT"]["outcome"], rows["BTC/USDT:USDT"]["confirmed"]) == (
        "changed",
        True,
    )
    assert rows["BTC/USDT:USDT"]["reason"] == "was in hedge mode, switched to one-way"
    assert (rows["ETH/USDT:USDT"]["outcome"], rows["ETH/USDT:USDT"]["kind"]) == (
        "skipped",
        "blocked",
    )
    [switch] = server.sim.requests(path="/v5/position/switch-mode")
    assert switch.body == {"category": "linear", "symbol": "BTCUSDT", "mode": 0}
    assert server.sim.symbol_state("BTCUSDT")["position_mode"] == 0
    assert server.sim.symbol_state("ETHUSDT")["position_mode"] == 3
