"""
A real ``FreqtradeBot`` meets an IP ban (HTTP 403) and Bybit's echo of the API key: the user
hears of the ban once, through the log and RPC, and no text the plugin logs or sends carries
the key or its secret, whatever Bybit echoed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.bot.conftest import SECTION, BotFactory
from tests.conftest import Later


pytestmark = pytest.mark.compat


@pytest.fixture
def server() -> Iterator[ThreadedSimulatorServer]:
    with ThreadedSimulatorServer(BybitSimulator(account_type="uta2", rate_limits=False)) as server:
        yield server


def rpc_messages(bot: FreqtradeBot) -> list[str]:
    return [m for m in bot.dataprovider._msg_queue if "Bybit margin" in m]


def test_an_ip_ban_in_the_loop_is_told_once_and_nothing_is_sent_during_it(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later
) -> None:
    sim = server.sim
    bot = make_bot(server, bybit_margin={**SECTION, "verify_interval": 60})
    sim.ban_ip(seconds=3600)

    def loop() -> None:
        later(61)  # every pair is due for a re-read; three loops stay within the 10 minutes
        bot.strategy.bot_loop_start(current_time=datetime.now(UTC))

    loop()
    banned = len([e for e in sim.journal if e.http_status == 403])
    loop()
    loop()

    told = [m for m in rpc_messages(bot) if "paused for 10 minutes" in m]
    assert len(told) == 1, rpc_messages(bot)
    assert banned == 1  # the one read Bybit refused
    assert len([e for e in sim.journal if e.http_status == 403]) == banned  # none in the pause


def test_no_log_line_or_rpc_message_carries_the_key_bybit_echoes(
    server: ThreadedSimulatorServer, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    sim = server.sim
    echo = (
        f"error sign! origin_string[1700000000000{DEFAULT_API_KEY}5000"
        '{"category":"linear","symbol":"BTCUSDT"}] '
        f"(api key {DEFAULT_API_KEY}, secret {DEFAULT_API_SECRET})"
    )
    sim.refuse(
        path=Endpoint.SET_LEVERAGE,
        symbol="BTCUSDT",
        ret_code=int(RetCode.SIGNATURE_ERROR),
        ret_msg=echo,
    )

    with caplog.at_level(logging.DEBUG):
        bot = make_bot(server)

    echoed = [e for e in sim.journal if e.ret_code == RetCode.SIGNATURE_ERROR]
    assert echoed
    assert DEFAULT_API_KEY in echoed[0].ret_msg
    ours = [r for r in caplog.records if r.name.startswith("freqtrade_bybit_margin")]
    texts = rpc_messages(bot) + [r.getMessage() for r in ours] + [r.exc_text or "" for r in ours]
    assert any("BTC/USDT:USDT" in t and "10004" in t for t in texts), texts  # ... it was told,
    leaked = [t for t in texts if DEFAULT_API_KEY in t or DEFAULT_API_SECRET in t]
    assert leaked == []  # ... without the key or the secret
