"""
Bybit lowered a pair's maximum below its target (issue 18): its automatic risk limit cuts
BTCUSDT from 100x to 25x (``sim.set_max_leverage(..., force=True)``: the symbol's leverage goes
down with it) after freqtrade read the markets, and the next write of 30x is answered 110013
``cannot set leverage [3000] gt maxLeverage [2500] by risk limit``. A real ``FreqtradeBot``:
``over_max: block`` refuses the pair naming 25x and 30x, at the back-off's pace; ``over_max:
clamp`` sets 25x, says so once, and freqtrade's trade, ``leverage()`` and Bybit's state at the
order are all 25x.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer
from tests.bot.conftest import SECTION, BotFactory, leverage, margin_writes
from tests.bot.trades import enter, entered_at, open_trade, orders_off_their_trades
from tests.conftest import Later


BTC, BTCUSDT = "BTC/USDT:USDT", "BTCUSDT"
AT_30 = {**SECTION, "pair_leverage": {BTC: 30, "ETH/.*": 4}}


@pytest.fixture(params=["classic", "uta2"])
def server(request: pytest.FixtureRequest) -> Iterator[ThreadedSimulatorServer]:
    sim = BybitSimulator(account_type=request.param, rate_limits=False)
    with ThreadedSimulatorServer(sim) as server:
        yield server


def loop(bot: FreqtradeBot) -> None:
    bot.strategy.bot_loop_start(current_time=datetime.now(UTC))


def said(bot: FreqtradeBot, caplog: Any, text: str) -> tuple[list[str], list[str]]:
    """The WARNING log lines and the RPC messages containing ``text``."""
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and text in r.getMessage()
    ]
    return lines, [m for m in bot.dataprovider._msg_queue if text in m]


def lowered(server: ThreadedSimulatorServer, make_bot: BotFactory, **section: Any) -> Any:
    """A bot prepared at 30x; then Bybit lowers BTCUSDT's maximum to 25x and cuts it down."""
    bot = make_bot(server, bybit_margin={**AT_30, **section})
    assert server.sim.symbol_state(BTCUSDT)["leverage"] == "30"
    server.sim.set_max_leverage(BTCUSDT, "25", force=True)
    return bot, len(margin_writes(server.sim, BTCUSDT))


def test_block_refuses_naming_bybits_maximum_and_the_others_trade(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later, caplog_info: Any
) -> None:
    sim = server.sim
    bot, mark = lowered(server, make_bot)
    later(3)

    assert not enter(bot, BTC)
    assert enter(bot, "ETH/USDT:USDT")
    for _ in range(20):  # ten minutes of loops and entry signals
        later(30)
        loop(bot)
        assert not enter(bot, BTC)

    lines, rpc = said(bot, caplog_info, "Bybit's maximum leverage for BTC/USDT:USDT is 25x now")
    assert lines
    assert rpc
    assert "below its target 30x" in lines[0]
    assert "over_max" in lines[0]
    assert sim.requests(path="/v5/order/create", symbol=BTCUSDT) == []
    refused = [e.ret_code for e in margin_writes(sim, BTCUSDT)[mark:] if e.symbol == BTCUSDT]
    assert set(refused) == {110013}
    assert len(refused) <= 1 + 600 // 120  # the back-off of a refusal: 120 s


def test_clamp_trades_at_bybits_maximum_told_once(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later, caplog_info: Any
) -> None:
    sim = server.sim
    bot, mark = lowered(server, make_bot, over_max="clamp")
    later(61)
    loop(bot)  # the re-read finds 25x; writing 30x back is answered 110013: clamped

    assert leverage(bot, BTC, 100.0) == 25.0
    assert enter(bot, BTC)
    trade = open_trade(bot, BTC)
    assert trade is not None
    assert Decimal(str(trade.leverage)) == 25
    assert entered_at(sim, BTCUSDT) == ["25"]
    assert orders_off_their_trades(sim) == []
    for _ in range(3):
        later(61)
        loop(bot)

    lines, rpc = said(bot, caplog_info, "clamped 30x -> 25x")
    assert (len(lines), len(rpc)) == (1, 1)
    assert [e.ret_code for e in margin_writes(sim, BTCUSDT)[mark:] if e.symbol] == [110013]
    assert sim.symbol_state(BTCUSDT)["leverage"] == "25"
