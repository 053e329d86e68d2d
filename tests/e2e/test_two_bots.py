"""
Two real ``freqtrade trade`` processes on one Bybit UID (two keys, one per bot) with different
targets for one symbol (issue 17): no ping-pong of writes, no entry at the other bot's leverage,
and each bot tells its user once, in its log and through its RPC (a webhook here).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.bot_runner import BotRun, run_bot
from freqtrade_bybit_margin.service.contention import MAX_WRITES
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)


pytestmark = pytest.mark.e2e

PAIR, SYMBOL = "BTC/USDT:USDT", "BTCUSDT"
SECOND = ("secondbot0000000", "secondbotsecret000000000000000000")
TARGETS = {"a": 5, "b": 3}
RUN_S = 10.0


def recorded(workdir: Path) -> dict[str, Decimal]:
    """Order id -> leverage of its trade, from the bot's own database."""
    with sqlite3.connect(workdir / "trades.sqlite") as db:
        rows = db.execute(
            "SELECT orders.order_id, trades.leverage FROM orders "
            "JOIN trades ON orders.ft_trade_id = trades.id"
        ).fetchall()
    return {order_id: Decimal(str(leverage)) for order_id, leverage in rows}


def test_two_bots_on_one_uid_neither_ping_pong_nor_enter_at_the_others_leverage(
    tmp_path: Path,
) -> None:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="ISOLATED_MARGIN")
    sim.add_api_key(*SECOND)
    keys = {"a": (DEFAULT_API_KEY, DEFAULT_API_SECRET), "b": SECOND}
    runs: dict[str, BotRun] = {}
    with ThreadedSimulatorServer(sim) as server:

        def bot(name: str) -> None:
            key, secret = keys[name]
            section = {
                "pair_leverage": {PAIR: TARGETS[name]},  # layered over the sample's section
                "verify_interval": 2,
                # what the README advises for bots sharing a UID: read before every entry (a
                # bot starting next to another may change a pair within the default 2 s)
                "entry_check_max_age": 0,
            }
            webhook = {
                "enabled": True,
                "url": f"{server.url}/hook/{name}",
                "format": "json",
                "allow_custom_messages": True,  # freqtrade forwards strategy messages only so
                "strategy_msg": {"text": "{msg}"},
            }
            started = time.monotonic()
            runs[name] = run_bot(
                sim,
                server.url,
                [PAIR],
                until=lambda _: time.monotonic() - started > RUN_S,
                timeout=RUN_S + 30,
                workdir=tmp_path / name,
                api_key=key,
                api_secret=secret,
                extra_config={"bybit_margin": section, "webhook": webhook},
            )

        threads = [threading.Thread(target=bot, args=(name,)) for name in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    journal = sim.journal
    for name, (key, _) in keys.items():
        written = [
            e
            for e in journal
            if e.path == Endpoint.SET_LEVERAGE
            and e.symbol == SYMBOL
            and e.headers.get("X-BAPI-API-KEY") == key
            and e.ret_code == 0
        ]
        assert len(written) <= MAX_WRITES, (name, [e.body for e in written])
    # every order met Bybit at the leverage its own bot records for the trade
    orders = [e for e in journal if e.path == Endpoint.ORDER_CREATE and e.at_order]
    assert orders, "no bot entered"
    for name in keys:
        mine = recorded(tmp_path / name)
        for order in orders:
            met: dict[str, Any] = order.at_order or {}
            if met["order_id"] in mine and not met["reduce_only"]:
                assert Decimal(met["leverage"]) == mine[met["order_id"]], (name, met)
    # each bot that met the other told its user, at most twice: its log and its RPC (the
    # webhook's posts reach the journal). Which bot meets the other depends on who starts first:
    # a bot that enters before the other starts is never disturbed (the other may not switch a
    # symbol with an open position) and has nothing to say.
    disturbed = 0
    for name in keys:
        log = (tmp_path / name / "logs" / "freqtrade.log").read_text()  # stdout.log repeats it
        mine = [line for line in log.splitlines() if "Bybit margin:" in line and PAIR in line]
        said = [line for line in mine if " - WARNING - " in line]
        hooks = [e for e in journal if e.path == f"/hook/{name}"]
        assert len(said) <= 2, (name, said)
        assert len(hooks) <= 2, (name, [e.body for e in hooks])
        if any("refused" in line or "another" in line for line in mine):
            disturbed += 1
            assert said, (name, mine)
            assert hooks, name
    assert disturbed, "neither bot met the other: the test did not test anything"
