"""
A bot's trades from open to close, in-process, the way freqtrade itself drives them (its RPC's
forced entries and exits, its own order updates), another client on the same Bybit UID, and THE
check of issue 17: at the moment of every order, Bybit's state equals what freqtrade records
for that order's trade.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from freqtrade.enums import State
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.persistence import Trade
from freqtrade.rpc import RPC

from freqtrade_bybit_margin.constants import AccountMarginMode, Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.signing import signed_headers


OTHER_KEY, OTHER_SECRET = "otherclient00000", "othersecret0000000000000000000000"
#: Enough stake for the simulator's minimum order at 1x.
STAKE = 100.0


def rpc(bot: FreqtradeBot) -> RPC:
    """freqtrade's RPC on a running bot (forced entries and exits, as Telegram / the API)."""
    bot.config["force_entry_enable"] = True
    bot.state = State.RUNNING
    return RPC(bot)


def open_trade(bot: FreqtradeBot, pair: str) -> Trade | None:
    trades = Trade.get_trades_proxy(pair=pair, is_open=True)
    return trades[0] if trades else None


def settle(bot: FreqtradeBot) -> None:
    """freqtrade's own order updates: fills the simulator made are taken into the trades."""
    for trade in Trade.get_trades_proxy(is_open=True):
        for order in list(trade.orders):
            if order.ft_is_open:
                bot.update_trade_state(trade, order.order_id)


def enter(bot: FreqtradeBot, pair: str, *, leverage: float | None = None, tag: str = "") -> bool:
    """An entry as freqtrade makes it: a forced one with its own leverage, or a signal's (the
    strategy's ``leverage()`` decides), then its fill taken in."""
    if leverage is not None:
        made = rpc(bot)._rpc_force_entry(pair, None, leverage=leverage, stake_amount=STAKE)
        entered = made is not None
    else:
        entered = bool(bot.execute_entry(pair, STAKE, enter_tag=tag or None))
    settle(bot)
    return entered


def add(bot: FreqtradeBot, pair: str) -> bool:
    """A position adjustment (DCA) of the pair's open trade, at the trade's own leverage."""
    trade = open_trade(bot, pair)
    assert trade is not None, f"no open trade on {pair}"
    added = bool(bot.execute_entry(pair, STAKE, trade=trade, mode="pos_adjust"))
    settle(bot)
    return added


def close(bot: FreqtradeBot, pair: str) -> None:
    """A forced exit of the pair's open trade, filled and taken in."""
    trade = open_trade(bot, pair)
    assert trade is not None, f"no open trade on {pair}"
    rpc(bot)._rpc_force_exit(str(trade.id))
    settle(bot)
    assert open_trade(bot, pair) is None, f"{pair} is still open"


def recorded_leverages() -> dict[str, Decimal]:
    """Order id -> the leverage freqtrade records for the order's trade."""
    return {
        order.order_id: Decimal(str(trade.leverage))
        for trade in Trade.get_trades_proxy()
        for order in trade.orders
    }


def orders_off_their_trades(sim: BybitSimulator) -> list[str]:
    """
    Every order that increased a position (not reduce-only) where the symbol was not isolated
    at the leverage freqtrade records for the order's trade, at the moment the simulator took
    it: one line each. Empty is the promise kept.
    """
    recorded = recorded_leverages()
    off = []
    orders = [e for e in sim.requests(path=Endpoint.ORDER_CREATE) if e.at_order is not None]
    for entry in orders:
        met = entry.at_order
        assert met is not None
        if met["reduce_only"]:
            continue
        wanted = recorded.get(met["order_id"])
        unified = sim.account_type != "classic"
        isolated = (
            met["account_margin_mode"] == AccountMarginMode.ISOLATED
            if unified
            else met["trade_mode"] == 1
        )
        if wanted is None or not isolated or Decimal(met["leverage"]) != wanted:
            off.append(f"{entry.symbol}: met {json.dumps(met)}, freqtrade records {wanted}")
    return off


def entered_at(sim: BybitSimulator, symbol: str) -> list[str]:
    """The leverage each position-increasing order on ``symbol`` met, in order."""
    return [
        str(e.at_order["leverage"])
        for e in sim.requests(path=Endpoint.ORDER_CREATE, symbol=symbol)
        if e.at_order is not None and not e.at_order["reduce_only"]
    ]


class Outside:
    """Another client on the bot's Bybit UID (the web UI, a script, another bot): signed
    requests with its own API key, through the simulator's front door."""

    def __init__(self, sim: BybitSimulator) -> None:
        sim.add_api_key(OTHER_KEY, OTHER_SECRET)
        self.sim = sim

    def post(self, endpoint: Endpoint, body: dict[str, Any]) -> int:
        raw = json.dumps(body, separators=(",", ":"))
        headers = signed_headers(raw, self.sim.clock(), key=OTHER_KEY, secret=OTHER_SECRET)
        answer = self.sim.dispatch("POST", f"https://api.bybit.com{endpoint}", headers, raw)
        code: int = answer.json()["retCode"]
        return code

    def set_leverage(self, symbol: str, leverage: str) -> int:
        body = {
            "category": "linear",
            "symbol": symbol,
            "buyLeverage": leverage,
            "sellLeverage": leverage,
        }
        return self.post(Endpoint.SET_LEVERAGE, body)

    def set_account_mode(self, mode: AccountMarginMode) -> int:
        return self.post(Endpoint.SET_MARGIN_MODE, {"setMarginMode": mode.value})
