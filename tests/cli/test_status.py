"""``status``: the account and each pair as Bybit reports them, read-only."""

import json
from pathlib import Path

import pytest

from .helpers import Server, run, write_config, writes


def test_status_classic_shows_positions_and_orders(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    server.sim.open_position("ETHUSDT", side="Buy", size="0.5")
    server.sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="100")
    files = write_config(tmp_path, server.url)

    assert run(files, "status") == 0
    out = capsys.readouterr().out
    assert "Classic" in out
    assert "Buy 0.5" in out
    # The footer names pairs, not Bybit ids.
    assert "Open positions or orders on: ETH/USDT:USDT, SOL/USDT:USDT" in out
    assert "ETHUSDT" not in out

    assert run(files, "status", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "status"
    assert doc["account_type"] == "classic"
    assert doc["account_margin_mode"] is None
    rows = {row["pair"]: row for row in doc["pairs"]}
    assert rows["ETH/USDT:USDT"]["open_position"] is True
    assert rows["ETH/USDT:USDT"]["position_side"] == "Buy"
    assert rows["SOL/USDT:USDT"]["open_orders"] == 1
    assert rows["BTC/USDT:USDT"]["open_position"] is False
    assert set(doc["busy_symbols"]) == {"ETHUSDT", "SOLUSDT"}
    assert doc["busy_pairs"] == ["ETH/USDT:USDT", "SOL/USDT:USDT"]
    assert writes(server.sim) == []


def test_status_uta2(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("uta2", account_margin_mode="ISOLATED_MARGIN")
    files = write_config(tmp_path, server.url)

    assert run(files, "status", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert doc["account_type"] == "uta2"
    assert doc["account_margin_mode"] == "ISOLATED_MARGIN"
    assert {row["margin_mode"] for row in doc["pairs"]} == {"isolated"}
    assert writes(server.sim) == []
