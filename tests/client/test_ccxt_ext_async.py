"""The awaitable ``switch_margin_mode`` on ``ccxt.async_support.bybit`` against a loopback stub."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import ccxt
import pytest

from freqtrade_bybit_margin import install
from freqtrade_bybit_margin.model import AccountType
from freqtrade_bybit_margin.simulator import ccxt_urls
from tests.bybit_markets import API_SECRET, async_bybit
from tests.signing import expected_signature


class RecordingStub(ThreadingHTTPServer):
    """Answers every POST with ``answer`` and records (path, headers, raw body)."""

    answer: dict[str, Any] = {"retCode": 0, "retMsg": "OK", "result": {}, "time": 1}
    #: answers by path, before ``answer``
    answers: dict[str, dict[str, Any]] = {}

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: RecordingStub

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.path, dict(self.headers), body))
        answer = self.server.answers.get(self.path, self.server.answer)
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[RecordingStub]:
    server = RecordingStub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def pointed_at(url: str, account: AccountType) -> Any:
    exchange = install(async_bybit(account))
    exchange.urls["api"] = ccxt_urls(url)
    return exchange


async def test_async_variant_sends_the_same_signed_body(stub: RecordingStub) -> None:
    exchange = pointed_at(stub.url, AccountType.CLASSIC)
    try:
        result = await exchange.switchMarginMode("isolated", "ETH/USDT:USDT", {"leverage": 2.5})
    finally:
        await exchange.close()

    assert result["changed"] is True
    assert result["longLeverage"] == result["shortLeverage"] == 2.5
    [(path, headers, body)] = stub.seen
    assert path == "/v5/position/switch-isolated"
    assert json.loads(body) == {
        "category": "linear",
        "symbol": "ETHUSDT",
        "tradeMode": 1,
        "buyLeverage": "2.5",
        "sellLeverage": "2.5",
    }
    assert headers["X-BAPI-SIGN"] == expected_signature(headers, body.decode(), API_SECRET)


async def test_async_110026_then_110043_is_changed_false(stub: RecordingStub) -> None:
    stub.answers = {
        "/v5/position/switch-isolated": {"retCode": 110026, "retMsg": "not modified"},
        "/v5/position/set-leverage": {"retCode": 110043, "retMsg": "leverage not modified"},
    }
    exchange = pointed_at(stub.url, AccountType.CLASSIC)
    try:
        result = await exchange.switch_margin_mode("cross", "BTC/USD:BTC", {"leverage": 3})
    finally:
        await exchange.close()
    assert result["changed"] is False
    assert [path for path, _, _ in stub.seen] == [
        "/v5/position/switch-isolated",
        "/v5/position/set-leverage",
    ]


async def test_async_refuses_before_sending_on_uta2(stub: RecordingStub) -> None:
    exchange = pointed_at(stub.url, AccountType.UTA2)
    try:
        with pytest.raises(ccxt.NotSupported, match="set-leverage"):
            await exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 3})
    finally:
        await exchange.close()
    assert stub.seen == []
