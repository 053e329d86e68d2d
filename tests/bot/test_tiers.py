"""
A pair freqtrade has no leverage tiers for is never traded at 1x (issue 18). freqtrade caps an
entry's leverage at its ``max_leverage``, 1.0 for a pair without tiers; the simulator stops
Bybit's paged risk-limit list after two pages of four symbols (``SimKnobs.risk_limit_*``, the
way ccxt releases before its 2026-08 fix stopped early, ccxt issue 29721), so freqtrade 2026.9
with ccxt 4.5.90 gets no tiers for XRP/USDT:USDT, the last symbol in alphabetical order.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from freqtrade.freqtradebot import FreqtradeBot

from freqtrade_bybit_margin.bot import internals
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs, ThreadedSimulatorServer
from tests.bot.conftest import PAIRS, SECTION, BotFactory
from tests.bot.trades import enter, entered_at, open_trade, orders_off_their_trades
from tests.conftest import Later, log_has_re


XRP, XRPUSDT = "XRP/USDT:USDT", "XRPUSDT"  # configured at 3x
#: ADA, AVAX, BTCPERP, BTC | DOGE, ETH, LINK, SOL | (XRP: never served)
TRUNCATED = SimKnobs(risk_limit_symbols_per_page=4, risk_limit_max_pages=2)


@pytest.fixture
def server() -> Iterator[ThreadedSimulatorServer]:
    sim = BybitSimulator(account_type="uta2", rate_limits=False, knobs=TRUNCATED)
    with ThreadedSimulatorServer(sim) as server:
        yield server


def tier_reads(sim: BybitSimulator, symbol: str) -> list[Any]:
    return [
        e for e in sim.requests(path="/v5/market/risk-limit") if e.query.get("symbol") == symbol
    ]


def rpc_messages(bot: FreqtradeBot, text: str) -> list[str]:
    return [m for m in bot.dataprovider._msg_queue if text in m]


def test_a_pair_without_tiers_is_refused_not_traded_at_1x(
    server: ThreadedSimulatorServer, make_bot: BotFactory, caplog_info: Any
) -> None:
    sim = server.sim
    bot = make_bot(server)
    assert bot.exchange.get_max_leverage(XRP, 100) == 1.0  # what freqtrade would trade it at

    assert not enter(bot, XRP)
    assert not enter(bot, XRP)
    assert enter(bot, "BTC/USDT:USDT")  # the other pairs trade

    assert sim.requests(path=Endpoint.ORDER_CREATE, symbol=XRPUSDT) == []
    assert entered_at(sim, "BTCUSDT") == ["5"]
    warnings = [
        r.getMessage()
        for r in caplog_info.records
        if r.levelname == "WARNING" and "no leverage tiers" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert all(word in warnings[0] for word in (XRP, "1x", '"fill_tiers": true', "29721"))
    assert rpc_messages(bot, "no leverage tiers") == warnings  # one RPC message, the same
    assert log_has_re(rf"entry on {XRP} refused: .*would trade it at 1x, not 3x", caplog_info)
    assert tier_reads(sim, XRPUSDT) == []  # fill_tiers is off: nothing read


def test_fill_tiers_trades_it_at_its_target_and_reads_once(
    server: ThreadedSimulatorServer, make_bot: BotFactory, later: Later
) -> None:
    sim = server.sim
    bot = make_bot(server, bybit_margin={**SECTION, "fill_tiers": True})

    assert [e.query.get("category") for e in tier_reads(sim, XRPUSDT)] == ["linear"]
    assert bot.exchange.get_max_leverage(XRP, 100) == 50.0
    assert enter(bot, XRP)
    trade = open_trade(bot, XRP)
    assert trade is not None
    assert Decimal(str(trade.leverage)) == 3
    assert entered_at(sim, XRPUSDT) == ["3"]
    assert orders_off_their_trades(sim) == []

    # freqtrade reloads its markets and tiers (its cache lacks XRP), the whitelist changes
    later(7200)
    bot.exchange.reload_markets(True)
    for whitelist in (PAIRS[:3], PAIRS):
        bot.config["exchange"]["pair_whitelist"] = list(whitelist)
        bot.pairlists.refresh_pairlist()
        bot.strategy.bot_loop_start(current_time=trade.open_date_utc)
    assert bot.exchange.get_max_leverage(XRP, 100) == 50.0
    assert len(tier_reads(sim, XRPUSDT)) == 1


def test_a_tier_cache_this_plugin_does_not_know_is_left_alone() -> None:
    class Exchange:  # a freqtrade whose Exchange keeps its tiers some other way
        _leverage_tiers: tuple[Any, ...] = ()

        def parse_leverage_tier(self, tier: Any) -> Any:
            return tier

    assert not internals.fill_leverage_tiers(Exchange(), XRP, [{"maxLeverage": 50.0}])
    assert Exchange._leverage_tiers == ()
