"""
A real ``FreqtradeBot`` and its API key (issue 18): a key that cannot write stops preparation
before any write with one line (ERROR log + RPC) and no entry is made; a key that expires within
a week is a WARNING + RPC once a day. Bybit's ``query-api``:
https://bybit-exchange.github.io/docs/v5/user/apikey-info
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from freqtrade.exceptions import TemporaryError
from freqtrade.exchange.bybit import Bybit
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.rpc.rpc import RPCException

from freqtrade_bybit_margin.bot.live import EntryRefused
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.bot.conftest import BotFactory, confirm, margin_writes
from tests.bot.trades import enter
from tests.conftest import Later


pytestmark = pytest.mark.compat

BTC = "BTC/USDT:USDT"
NO_ORDER = {"ContractTrade": ["Position"]}


@pytest.fixture
def server() -> Iterator[ThreadedSimulatorServer]:
    sim = BybitSimulator(account_type="uta2", account_margin_mode="REGULAR_MARGIN")
    with ThreadedSimulatorServer(sim) as server:
        yield server


def rpc_messages(bot: FreqtradeBot, text: str) -> list[str]:
    return [m for m in bot.dataprovider._msg_queue if text in m]


def plugin_lines(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("freqtrade_bybit_margin") and r.levelno == level
        if text in r.getMessage()
    ]


def orders(sim: BybitSimulator) -> list[Any]:
    return sim.requests(path=Endpoint.ORDER_CREATE)


def loop(bot: FreqtradeBot) -> None:
    bot.strategy.bot_loop_start(current_time=datetime.now(UTC))


def rights_after_exchange_init(
    monkeypatch: pytest.MonkeyPatch, sim: BybitSimulator, **profile: Any
) -> None:
    """The key's rights change on Bybit right after freqtrade's exchange init (freqtrade's own
    coin-level ``switch-mode`` there refuses a key without Position: see the last test)."""
    original = Bybit.additional_exchange_init

    def init_then_change(self: Bybit) -> None:
        original(self)
        sim.add_api_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, **profile)

    monkeypatch.setattr(Bybit, "additional_exchange_init", init_then_change)


@pytest.mark.parametrize(
    ("profile", "missing", "changed_at_init"),
    [
        ({"permissions": NO_ORDER}, "permission Order", False),
        ({"read_only": True}, "is read-only", True),
        ({"permissions": {"ContractTrade": ["Order"]}}, "permission Position", True),
    ],
    ids=["no-order", "read-only", "no-position"],
)
def test_a_key_that_cannot_write_stops_before_any_write_and_no_entry_is_made(
    server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    profile: dict[str, Any],
    missing: str,
    changed_at_init: bool,
) -> None:
    sim = server.sim
    if changed_at_init:
        rights_after_exchange_init(monkeypatch, sim, **profile)
    else:
        sim.add_api_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, **profile)

    with caplog.at_level(logging.INFO):
        bot = make_bot(server)
        allowed = confirm(bot, BTC)
        with pytest.raises(RPCException, match="Failed to enter position"):
            enter(bot, BTC, leverage=3)  # a forced entry
        with pytest.raises(EntryRefused, match="refused"):
            bot.exchange._lev_prep(BTC, 3.0, "buy")  # an entry order's margin calls
        bot.exchange._lev_prep(BTC, 3.0, "buy", accept_fail=True)  # an open trade's: not sent
        loop(bot)

    assert margin_writes(sim) == []
    assert orders(sim) == []
    assert not allowed
    said = plugin_lines(caplog, logging.ERROR, missing)
    assert len(said) == 1, said
    assert "Until the bot restarts with such a key" in said[0]
    assert rpc_messages(bot, missing) == said


def test_an_expiring_key_is_warned_about_once_a_day(
    server: ThreadedSimulatorServer,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
    later: Later,
) -> None:
    sim = server.sim
    sim.add_api_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, deadline_day=5)

    with caplog.at_level(logging.INFO):
        bot = make_bot(server)
        started = len(sim.requests(path=Endpoint.QUERY_API))
        loop(bot)
        later(3600)
        loop(bot)
        same_day = len(plugin_lines(caplog, logging.WARNING, "expires in 5 days"))
        same_day_rpc = len(rpc_messages(bot, "expires in 5 days"))
        reads_same_day = len(sim.requests(path=Endpoint.QUERY_API)) - started
        later(86_400)
        loop(bot)

    assert (same_day, same_day_rpc, reads_same_day) == (1, 1, 0)
    assert len(plugin_lines(caplog, logging.WARNING, "expires in 5 days")) == 2
    assert len(rpc_messages(bot, "expires in 5 days")) == 2
    assert len(sim.requests(path=Endpoint.QUERY_API)) == started + 1
    assert margin_writes(sim)  # the key can write: the pairs were prepared


def test_freqtrade_itself_refuses_a_read_only_key_before_the_strategy_starts(
    server: ThreadedSimulatorServer, make_bot: BotFactory
) -> None:
    """Why the plugin meets a read-only key only when it changes after freqtrade's start: the
    coin-level position-mode switch of freqtrade's Bybit init answers 10005 and freqtrade stops
    (TemporaryError, "Error in additional_exchange_init due to PermissionDenied")."""
    sim = server.sim
    sim.add_api_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, read_only=True)

    with pytest.raises(TemporaryError, match="additional_exchange_init"):
        make_bot(server)

    assert {e.path for e in sim.journal if e.method == "POST"} == {Endpoint.SWITCH_POSITION_MODE}
    assert margin_writes(sim) == []
