"""Synthetic journals and runs for the demo's tests."""

from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.demo.bot_runner import BotRun
from freqtrade_bybit_margin.demo.timeline import DemoPair
from freqtrade_bybit_margin.model import MarginMode, Mechanism, PairTarget
from freqtrade_bybit_margin.simulator import JournalEntry


START_MS = 1_800_000_000_000


class Journal:
    """Builds a journal one request at a time, 100 ms apart."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    def add(
        self,
        path: str,
        symbol: str | None = None,
        *,
        ret: int = RetCode.OK,
        body: dict[str, Any] | None = None,
        method: str | None = None,
    ) -> JournalEntry:
        seq = len(self.entries) + 1
        entry = JournalEntry(
            seq=seq,
            time_ms=START_MS + 100 * (seq - 1),
            method=method or ("POST" if body is not None else "GET"),
            path=path,
            query={"symbol": symbol} if symbol and body is None else {},
            body=body,
            raw_query="",
            raw_body="",
            headers={},
            signed=True,
            signature_ok=True,
            http_status=200,
            ret_code=ret,
            ret_msg="OK",
            symbol=symbol,
        )
        self.entries.append(entry)
        return entry

    def switch(self, symbol: str, leverage: str, ret: int = RetCode.OK) -> JournalEntry:
        body = {"symbol": symbol, "tradeMode": 1, "buyLeverage": leverage, "sellLeverage": leverage}
        return self.add(Endpoint.SWITCH_ISOLATED, symbol, ret=ret, body=body)

    def set_leverage(self, symbol: str, leverage: str, ret: int = RetCode.OK) -> JournalEntry:
        body = {"symbol": symbol, "buyLeverage": leverage, "sellLeverage": leverage}
        return self.add(Endpoint.SET_LEVERAGE, symbol, ret=ret, body=body)

    def entry_order(self, symbol: str) -> JournalEntry:
        """The bot's entry: the order book read for its price, then the order."""
        self.add(Endpoint.ORDERBOOK, symbol)
        return self.order(symbol)

    def order(self, symbol: str) -> JournalEntry:
        return self.add(Endpoint.ORDER_CREATE, symbol, body={"symbol": symbol, "side": "Buy"})

    def run(self, pairs: list[str], log: str = "", workdir: Path = Path("/nonexistent")) -> BotRun:
        return BotRun(list(self.entries), log, 130, workdir, pairs, START_MS)


def demo_pair(pair: str, leverage: float, mechanism: Mechanism) -> DemoPair:
    return DemoPair(
        PairTarget(pair, MarginMode.ISOLATED, leverage), pair.split("/")[0] + "USDT", mechanism
    )
