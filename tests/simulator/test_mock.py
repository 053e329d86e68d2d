"""requests-mock transport: the three faces of ``mock_bybit``, ``mount`` and a real ccxt."""

import sys

import ccxt
import pytest
import requests
import requests_mock

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    mock_bybit,
    mount_session,
)

from .helpers import signed_headers


TIME_URL = "https://api.bybit.com/v5/market/time"


def test_context_manager_answers_bybit_hosts_only() -> None:
    sim = BybitSimulator()
    with mock_bybit(sim) as m:
        assert m.sim is sim
        for host in ("api.bybit.com", "api-testnet.bybit.com", "api-demo.bybit.com"):
            assert requests.get(f"https://{host}/v5/market/time").json()["retCode"] == 0
        with pytest.raises(requests_mock.exceptions.NoMockAddress):
            requests.get("https://example.com/v5/market/time")
        m.mocker.get("https://example.com/x", text="other mocks still work")
        assert requests.get("https://example.com/x").text == "other mocks still work"
    assert [e.path for e in sim.journal] == [Endpoint.SERVER_TIME] * 3


def test_decorator_and_start_stop() -> None:
    sim = BybitSimulator()

    @mock_bybit(sim)
    def call() -> int:
        return int(requests.get(TIME_URL).json()["retCode"])

    assert call() == 0
    m = mock_bybit(sim)
    m.start()
    try:
        requests.get(TIME_URL)
    finally:
        m.stop()
    assert len(sim.requests(path=Endpoint.SERVER_TIME)) == 2


def test_mount_on_one_session_any_host() -> None:
    sim = BybitSimulator()
    session = requests.Session()
    mount_session(sim, session)
    reply = session.get("http://127.0.0.1:9/v5/market/tickers?category=linear&symbol=BTCUSDT")
    assert reply.json()["result"]["list"][0]["symbol"] == "BTCUSDT"
    assert sim.requests(symbol="BTCUSDT")[0].query == {"category": "linear", "symbol": "BTCUSDT"}


def test_rate_limit_headers_over_requests_mock() -> None:
    sim = BybitSimulator()
    query = "category=linear&symbol=BTCUSDT"
    with mock_bybit(sim):
        replies = [
            requests.get(
                f"https://api.bybit.com{Endpoint.POSITION_LIST}?{query}",
                headers=signed_headers(query, sim.clock()),
            )
            for _ in range(11)
        ]
    assert [r.headers["X-Bapi-Limit-Status"] for r in replies[:10]] == [
        str(9 - i) for i in range(10)
    ]
    assert replies[0].headers["X-Bapi-Limit"] == "10"  # classic position/list
    assert replies[10].json()["retCode"] == 10006
    first = sim.journal[0].time_ms
    assert int(replies[10].headers["X-Bapi-Limit-Reset-Timestamp"]) == first + 1000


def test_timeout_fault_raises_in_requests() -> None:
    sim = BybitSimulator()
    sim.inject_fault(path=Endpoint.SERVER_TIME, timeout=True)
    with mock_bybit(sim), pytest.raises(requests.exceptions.Timeout):
        requests.get(TIME_URL)


def test_drop_fault_raises_connection_error_in_requests() -> None:
    sim = BybitSimulator()
    sim.inject_fault(path=Endpoint.SERVER_TIME, kind="drop")
    with mock_bybit(sim), pytest.raises(requests.exceptions.ConnectionError):
        requests.get(TIME_URL)


@pytest.mark.parametrize(
    ("kind", "error"), [("timeout", ccxt.RequestTimeout), ("drop", ccxt.NetworkError)]
)
def test_lost_answers_reach_ccxt_as_network_errors(kind: str, error: type) -> None:
    sim = BybitSimulator()
    ex = ccxt.bybit(
        {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, "enableRateLimit": False}
    )
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, kind=kind, applied=True)
    with mock_bybit(sim):
        ex.load_markets()
        with pytest.raises(error):
            ex.set_leverage(4, "BTC/USDT:USDT")
    assert sim.symbol_state("BTCUSDT")["leverage"] == "4"  # applied, answer lost


def test_requests_mock_missing_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "requests_mock", None)  # import fails as if not installed
    with pytest.raises(ModuleNotFoundError, match=r"install freqtrade-bybit-margin\[simulator\]"):
        mock_bybit(BybitSimulator()).start()
    with pytest.raises(ModuleNotFoundError, match="requests-mock"):
        mount_session(BybitSimulator(), requests.Session())


def test_reset_clears_journal() -> None:
    sim = BybitSimulator()
    with mock_bybit(sim):
        requests.get(TIME_URL)
    sim.reset()
    assert sim.journal == []


def test_bybit_sim_fixture(bybit_sim: BybitSimulator) -> None:
    assert requests.get(TIME_URL).json()["retCode"] == 0
    assert bybit_sim.account_type == "classic"
    assert len(bybit_sim.journal) == 1


@pytest.mark.bybit_sim(account_type="uta2", account_margin_mode="ISOLATED_MARGIN")
def test_bybit_sim_fixture_reads_its_marker(bybit_sim: BybitSimulator) -> None:
    assert (bybit_sim.account_type, bybit_sim.account_margin_mode) == ("uta2", "ISOLATED_MARGIN")


@pytest.mark.parametrize("account_type", ["classic", "uta2"])
def test_real_ccxt_sync_client(account_type: str) -> None:
    sim = BybitSimulator(account_type)  # type: ignore[arg-type]
    ex = ccxt.bybit(
        {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, "enableRateLimit": False}
    )
    with mock_bybit(sim):
        ex.load_markets()
        assert ex.markets["BTC/USDT:USDT"]["linear"]
        assert ex.markets["BTC/USDT:USDT"]["limits"]["leverage"]["max"] == 100
        unified = ex.is_unified_enabled()
        assert unified == [False, account_type == "uta2"]
        ex.set_position_mode(False)
        ex.set_margin_mode("isolated", "BTC/USDT:USDT", {"leverage": 3.0})
        if account_type == "classic":
            with pytest.raises(ccxt.BadRequest):  # switch-isolated already set 3x: 110043
                ex.set_leverage(3, "BTC/USDT:USDT")
            with pytest.raises(ccxt.MarginModeAlreadySet):
                ex.set_margin_mode("isolated", "BTC/USDT:USDT", {"leverage": 3.0})
        else:
            ex.set_leverage(3, "BTC/USDT:USDT")
            assert sim.account_margin_mode == "ISOLATED_MARGIN"
        book = ex.fetch_order_book("BTC/USDT:USDT", 1)
        order = ex.create_order(
            "BTC/USDT:USDT", "limit", "buy", 0.004, book["asks"][0][0], {"position_idx": 0}
        )
        fetched = ex.fetch_order(order["id"], "BTC/USDT:USDT", {"acknowledged": True})
        assert (fetched["status"], fetched["filled"]) == ("closed", 0.004)
        assert fetched["fee"]["currency"] == "USDT"
        trades = ex.fetch_my_trades("BTC/USDT:USDT", since=fetched["timestamp"] - 5000)
        assert trades[0]["order"] == order["id"]
        (pos,) = ex.fetch_positions()
        assert (pos["symbol"], pos["side"], pos["contracts"], pos["leverage"]) == (
            "BTC/USDT:USDT",
            "long",
            0.004,
            3.0,
        )
        assert pos["liquidationPrice"] > 0
        assert ex.fetch_balance()["USDT"]["total"] < 10000
        assert len(ex.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=1000)) == 1000
        assert ex.fetch_leverage_tiers(["BTC/USDT:USDT"])["BTC/USDT:USDT"][0]["maxLeverage"] == 100
    history = "/v5/order/history" if account_type == "classic" else "/v5/order/realtime"
    assert sim.requests(path=history)
    signed = [e for e in sim.journal if e.signed]
    assert len(signed) >= 10
    assert all(e.signature_ok for e in signed)
    assert sim.symbol_state("BTCUSDT")["position_size"] == "0.004"
