"""Loopback HTTP transport: raw round trip, control plane, async ccxt."""

import http.client
import json
import logging
import socket
import struct
import time
import urllib.error
import urllib.request

import ccxt.async_support as ccxt_async
import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    SimKnobs,
    ThreadedSimulatorServer,
    ccxt_urls,
)

from .helpers import signed_headers


def fetch(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_raw_round_trip_and_control_routes() -> None:
    sim = BybitSimulator("uta2")
    with ThreadedSimulatorServer(sim) as server:
        assert server.ready.is_set()
        assert server.url.startswith("http://127.0.0.1:")
        status, data = fetch(f"{server.url}{Endpoint.SERVER_TIME}")
        assert (status, data["retCode"]) == (200, 0)
        raw = '{"setMarginMode":"ISOLATED_MARGIN"}'
        status, data = fetch(
            f"{server.url}{Endpoint.SET_MARGIN_MODE}",
            method="POST",
            data=raw.encode(),
            headers=signed_headers(raw, sim.clock()),
        )
        assert (status, data["retCode"], data["retMsg"]) == (200, 0, "Request accepted")
        status, data = fetch(f"{server.url}/v5/unknown")
        assert (status, data["retCode"]) == (404, 10001)

        status, journal = fetch(f"{server.url}/_sim/journal")
        assert [e["path"] for e in journal["journal"]] == [
            Endpoint.SERVER_TIME,
            Endpoint.SET_MARGIN_MODE,
            "/v5/unknown",
        ]
        assert journal["journal"][1]["signature_ok"] is True
        _, state = fetch(f"{server.url}/_sim/state")
        assert state["account_margin_mode"] == "ISOLATED_MARGIN"
        status, _ = fetch(f"{server.url}/_sim/reset", method="POST", data=b"")
        assert status == 200
        assert sim.account_margin_mode == "REGULAR_MARGIN"
        assert sim.journal == []
    assert not server.ready.is_set()


def test_bybit_sim_server_fixture(bybit_sim_server: ThreadedSimulatorServer) -> None:
    status, _ = fetch(f"{bybit_sim_server.url}{Endpoint.SERVER_TIME}")
    assert status == 200
    assert len(bybit_sim_server.sim.journal) == 1


async def test_async_ccxt_against_server(bybit_sim_server: ThreadedSimulatorServer) -> None:
    ex = ccxt_async.bybit(
        {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, "enableRateLimit": False}
    )
    ex.urls["api"] = ccxt_urls(bybit_sim_server.url)
    try:
        await ex.load_markets()
        await ex.set_leverage(7, "ETH/USDT:USDT")
    finally:
        await ex.close()
    sim = bybit_sim_server.sim
    assert sim.symbol_state("ETHUSDT")["leverage"] == "7"
    assert all(e.signature_ok for e in sim.journal if e.signed)
    assert sim.requests(path=Endpoint.COIN_INFO)[0].signature_ok


def post_json(url: str, data: dict) -> tuple[int, dict]:
    return fetch(url, method="POST", data=json.dumps(data).encode())


def test_control_routes_for_faults_and_budget() -> None:
    sim = BybitSimulator("uta2")
    query = "category=linear&symbol=BTCUSDT"
    with ThreadedSimulatorServer(sim) as server:
        status, data = post_json(
            f"{server.url}/_sim/fault",
            {"path": Endpoint.POSITION_LIST, "kind": "truncated_json", "applied": True},
        )
        assert (status, data["fault"]["kind"], data["fault"]["applied"]) == (
            200,
            "truncated_json",
            True,
        )
        request = urllib.request.Request(
            f"{server.url}{Endpoint.POSITION_LIST}?{query}",
            headers=signed_headers(query, sim.clock()),
        )
        with urllib.request.urlopen(request, timeout=5) as reply:
            raw = reply.read()
            limit_headers = (reply.headers["X-Bapi-Limit"], reply.headers["X-Bapi-Limit-Status"])
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw)
        assert limit_headers == ("50", "49")  # counted, the real headers kept

        status, data = post_json(f"{server.url}/_sim/fault", {"kind": "nonsense"})
        assert status == 400
        assert "kind 'nonsense' is not one of" in data["error"]
        status, data = post_json(
            f"{server.url}/_sim/budget", {"path": Endpoint.SET_LEVERAGE, "seconds": 2}
        )
        assert (status, data["budget"]["path"]) == (200, Endpoint.SET_LEVERAGE)
        assert len(sim.limiter.hogs) == 1
        status, _ = post_json(f"{server.url}/_sim/faults/clear", {})
        assert (status, sim.faults) == (200, [])
        status, data = fetch(f"{server.url}/_sim/nope")
        assert status == 404
        assert "GET /_sim/state" in data["routes"]


def test_dropped_connection_over_http() -> None:
    sim = BybitSimulator()
    sim.inject_fault(path=Endpoint.SERVER_TIME, kind="drop")
    with ThreadedSimulatorServer(sim) as server:
        with pytest.raises(
            (http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)
        ):
            fetch(f"{server.url}{Endpoint.SERVER_TIME}")
        status, data = fetch(f"{server.url}{Endpoint.SERVER_TIME}")
        assert (status, data["retCode"]) == (200, 0)
    assert sim.journal[0].fault == "drop"


def test_timeout_over_http_holds_the_answer() -> None:
    sim = BybitSimulator(knobs=SimKnobs(timeout_delay_s=1.0))
    sim.inject_fault(path=Endpoint.SERVER_TIME, timeout=True)
    with ThreadedSimulatorServer(sim) as server:
        request = urllib.request.Request(f"{server.url}{Endpoint.SERVER_TIME}")
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            urllib.request.urlopen(request, timeout=0.2)


def test_a_client_hanging_up_before_its_answer_is_a_debug_line_not_a_traceback(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bot stopped mid-request: the answer's write meets a reset connection."""
    sim = BybitSimulator("uta2", knobs=SimKnobs(timeout_delay_s=0.2))
    sim.inject_fault(path=Endpoint.SERVER_TIME, timeout=True)
    caplog.set_level(logging.DEBUG, logger="freqtrade_bybit_margin.simulator.server")
    with ThreadedSimulatorServer(sim) as server:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(f"GET {Endpoint.SERVER_TIME} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        while not sim.journal:
            time.sleep(0.01)
        # linger 0: close with a reset, so that writing the answer fails
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        deadline = time.monotonic() + 10
        while "hung up" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
    assert "hung up before its answer" in caplog.text
    assert "Traceback" not in capsys.readouterr().err
