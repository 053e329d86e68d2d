"""The request pipeline through ``dispatch``: signing, envelope, errors, validation, paging."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator
from freqtrade_bybit_margin.simulator.auth import origin_string
from freqtrade_bybit_margin.simulator.urls import ROUTES, Route

from .helpers import BASE, FakeClock, body, get, post, signed_headers


@pytest.fixture
def sim(clock: FakeClock) -> BybitSimulator:
    return BybitSimulator(clock=clock)


# ------------------------------------------------------------------ signing


#: Known-answer vectors: self-computed for key TESTKEY, secret TESTSECRET, ts 1658384314791,
#: recv window 5000 (reference bybit-v5-margin.md A8), on the origin-string layout of Bybit's
#: guide examples (https://bybit-exchange.github.io/docs/v5/guide: GET ``timestamp + apiKey +
#: recvWindow + queryString``, POST ``... + rawJsonBody``).
VECTOR_TS = 1658384314791
VECTORS = [
    (
        "GET",
        "category=linear&symbol=BTCUSDT",
        "0839f11953ce30b71899e0b902c7cd0b91d0aef3716aaaa34578771b1b26b3d3",
    ),
    (
        "POST",
        '{"category":"linear","symbol":"BTCUSDT","tradeMode":1,"buyLeverage":"10",'
        '"sellLeverage":"10"}',
        "100221f74856ac5a9d70346fa2e7dd0b56bda5fdd2c5e40f185806119ce1c4ee",
    ),
]


@pytest.mark.parametrize(("method", "payload", "signature"), VECTORS)
def test_signature_known_answer_vectors(method: str, payload: str, signature: str) -> None:
    sim = BybitSimulator(
        api_key="TESTKEY", api_secret="TESTSECRET", clock=FakeClock(VECTOR_TS), rate_limits=False
    )
    headers = {
        "X-BAPI-API-KEY": "TESTKEY",
        "X-BAPI-TIMESTAMP": str(VECTOR_TS),
        "X-BAPI-RECV-WINDOW": "5000",
        "X-BAPI-SIGN": signature,
    }
    if method == "GET":
        url, raw = f"{BASE}{Endpoint.POSITION_LIST}?{payload}", b""
    else:
        url, raw = BASE + Endpoint.SWITCH_ISOLATED, payload.encode()
    assert body(sim.dispatch(method, url, headers, raw))["retCode"] == 0
    assert sim.journal[-1].signature_ok is True
    # one changed hex digit is refused, naming the origin string the simulator signed
    headers["X-BAPI-SIGN"] = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    refused = body(sim.dispatch(method, url, headers, raw))
    assert refused["retCode"] == RetCode.SIGNATURE_ERROR
    origin = origin_string(str(VECTOR_TS), "TESTKEY", "5000", payload)
    assert refused["retMsg"] == f"error sign! origin_string[{origin}]"


def test_signed_request_verifies_and_is_journaled(sim: BybitSimulator) -> None:
    resp = get(sim, Endpoint.ACCOUNT_INFO)
    assert body(resp)["retCode"] == 0
    (entry,) = sim.journal
    assert (entry.signed, entry.signature_ok, entry.http_status) == (True, True, 200)
    assert "X-BAPI-API-KEY" in entry.headers
    assert all("simsecret" not in v for v in entry.headers.values())


def test_unknown_key_is_10003(sim: BybitSimulator) -> None:
    resp = get(sim, Endpoint.ACCOUNT_INFO, key="nope")
    assert body(resp)["retCode"] == RetCode.INVALID_API_KEY
    # without the headers at all: HTTP 401 (test_access.py)
    assert get(sim, Endpoint.ACCOUNT_INFO, signed=False).status == 401


def test_bad_signature_is_10004_with_origin_string(sim: BybitSimulator, clock: FakeClock) -> None:
    resp = get(
        sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"}, secret="wrong"
    )
    data = body(resp)
    assert data["retCode"] == RetCode.SIGNATURE_ERROR
    assert data["retMsg"] == (
        f"error sign! origin_string[{clock.now}simkey00000000005000category=linear&symbol=BTCUSDT]"
    )
    assert sim.journal[-1].signature_ok is False


def test_signature_covers_raw_body_bytes(sim: BybitSimulator, clock: FakeClock) -> None:
    spaced = '{"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "5", "sellLeverage": "5"}'
    assert body(post(sim, Endpoint.SET_LEVERAGE, spaced))["retCode"] == 0
    headers = signed_headers(spaced, clock.now)
    compact = spaced.replace(" ", "")  # same JSON, other bytes than were signed
    resp = sim.dispatch("POST", BASE + Endpoint.SET_LEVERAGE, headers, compact.encode())
    assert body(resp)["retCode"] == RetCode.SIGNATURE_ERROR


@pytest.mark.parametrize(
    ("skew", "ok"), [(-5000, True), (-5001, False), (999, True), (1000, False)]
)
def test_timestamp_window(sim: BybitSimulator, clock: FakeClock, skew: int, ok: bool) -> None:
    headers = signed_headers("", clock.now + skew)
    data = body(sim.dispatch("GET", BASE + Endpoint.ACCOUNT_INFO, headers, b""))
    if ok:
        assert data["retCode"] == 0
    else:
        assert data["retCode"] == RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW
        assert data["retMsg"].startswith("invalid request, please check your server timestamp")
        assert f"server_timestamp[{clock.now}]" in data["retMsg"]


def test_missing_recv_window_and_sign_type_tolerated(sim: BybitSimulator) -> None:
    assert body(get(sim, Endpoint.ACCOUNT_INFO, recv_window=None))["retCode"] == 0
    headers = signed_headers("", sim.clock()) | {"X-BAPI-SIGN-TYPE": "2"}
    assert body(sim.dispatch("GET", BASE + Endpoint.ACCOUNT_INFO, headers, b""))["retCode"] == 0


# ------------------------------------------------------------------ envelope and errors


def test_envelope_shape(sim: BybitSimulator, clock: FakeClock) -> None:
    resp = get(sim, Endpoint.SERVER_TIME, signed=False)
    data = body(resp)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert set(data) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert (data["retCode"], data["retMsg"], data["time"]) == (0, "OK", clock.now)
    assert data["result"]["timeSecond"] == str(clock.now // 1000)
    assert sim.journal[0].signed is False


def test_unknown_path_and_wrong_method(sim: BybitSimulator) -> None:
    resp = get(sim, "/v5/nope", signed=False)
    assert resp.status == 404
    assert body(resp)["retCode"] == RetCode.PARAMS_ERROR
    assert "unknown path GET /v5/nope" in body(resp)["retMsg"]
    resp = sim.dispatch("POST", BASE + Endpoint.SERVER_TIME, {}, b"{}")
    assert resp.status == 400


def test_internal_error_is_500_envelope(sim: BybitSimulator, monkeypatch) -> None:
    def boom(backend, req):
        raise RuntimeError("kaputt")

    monkeypatch.setitem(ROUTES, Endpoint.SERVER_TIME, Route("GET", boom))
    resp = get(sim, Endpoint.SERVER_TIME, signed=False)
    assert resp.status == 500
    assert body(resp)["retCode"] == RetCode.SERVER_TIMEOUT
    assert "kaputt" in body(resp)["retMsg"]


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        '{"category":"linear","symbol":"BTCUSDT","tradeMode":"1","buyLeverage":"5","sellLeverage":"5"}',
        '{"category":"linear","symbol":"BTCUSDT","tradeMode":1,"buyLeverage":5,"sellLeverage":5}',
        '{"category":"linear","symbol":"BTCUSDT","tradeMode":1,"buyLeverage":"5"}',
        '{"category":"spot","symbol":"BTCUSDT","tradeMode":1,"buyLeverage":"5","sellLeverage":"5"}',
    ],
)
def test_switch_isolated_params_are_validated(sim: BybitSimulator, payload: str) -> None:
    assert body(post(sim, Endpoint.SWITCH_ISOLATED, payload))["retCode"] == RetCode.PARAMS_ERROR
    assert sim.symbol_state("BTCUSDT")["trade_mode"] == 0


def test_set_margin_mode_reply_and_stray_params(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    data = body(
        post(sim, Endpoint.SET_MARGIN_MODE, {"setMarginMode": "ISOLATED_MARGIN", "leverage": 3.0})
    )
    assert (data["retCode"], data["retMsg"], data["result"]) == (
        0,
        "Request accepted",
        {"reasons": []},
    )
    bad = body(post(sim, Endpoint.SET_MARGIN_MODE, {"setMarginMode": "CROSS"}))
    assert bad["retCode"] == RetCode.PARAMS_ERROR


# ------------------------------------------------------------------ paging and positions


def test_instruments_info_pagination(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock, extra_linear_symbols=25)
    symbols, cursor, pages = [], "", 0
    while True:
        params = {"category": "linear", "limit": 10} | ({"cursor": cursor} if cursor else {})
        result = body(get(sim, Endpoint.INSTRUMENTS_INFO, params, signed=False))["result"]
        assert result["category"] == "linear"
        symbols += [row["symbol"] for row in result["list"]]
        pages += 1
        cursor = result["nextPageCursor"]
        if not cursor:
            break
    assert pages == 4  # 9 default linear + 25 generated = 34 rows
    assert len(symbols) == len(set(symbols)) == 34
    assert "S025USDT" in symbols
    pre = get(
        sim, Endpoint.INSTRUMENTS_INFO, {"category": "linear", "status": "PreLaunch"}, signed=False
    )
    assert body(pre)["result"]["list"] == []


def test_risk_limit_pagination_and_max_leverage(sim: BybitSimulator) -> None:
    rows, cursor = [], ""
    for _ in range(10):
        params = {"category": "linear"} | ({"cursor": cursor} if cursor else {})
        result = body(get(sim, Endpoint.RISK_LIMIT, params, signed=False))["result"]
        rows += result["list"]
        cursor = result["nextPageCursor"]
        if not cursor:
            break
    assert cursor == ""
    instruments = body(get(sim, Endpoint.INSTRUMENTS_INFO, {"category": "linear"}, signed=False))
    max_lev = {
        i["symbol"]: i["leverageFilter"]["maxLeverage"] for i in instruments["result"]["list"]
    }
    first_tier = {r["symbol"]: r["maxLeverage"] for r in rows if r["id"] == 1}
    assert first_tier == max_lev


def test_position_list_symbol_vs_settle_coin(sim: BybitSimulator) -> None:
    sim.open_position("ETHUSDT", side="Sell", size="0.5", leverage="4")
    one = body(get(sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"}))
    (row,) = one["result"]["list"]
    # a flat classic one-way row says side "None" (position.mdx at e00557a4)
    assert (row["symbol"], row["side"], row["size"], row["leverage"]) == (
        "BTCUSDT",
        "None",
        "0",
        "10",
    )
    allp = body(get(sim, Endpoint.POSITION_LIST, {"category": "linear", "settleCoin": "USDT"}))
    assert [(r["symbol"], r["side"], r["size"]) for r in allp["result"]["list"]] == [
        ("ETHUSDT", "Sell", "0.5")
    ]
    assert allp["result"]["list"][0]["leverage"] == "4"
    missing = body(get(sim, Endpoint.POSITION_LIST, {"category": "linear"}))
    assert missing["retCode"] == RetCode.PARAMS_ERROR


def test_kline_newest_first_ending_with_current_candle(sim: BybitSimulator, clock: FakeClock):
    params = {"category": "linear", "symbol": "BTCUSDT", "interval": "5", "limit": 1000}
    rows = body(get(sim, Endpoint.KLINE, params, signed=False))["result"]["list"]
    assert len(rows) == 1000
    starts = [int(r[0]) for r in rows]
    assert starts == sorted(starts, reverse=True)
    assert starts[0] == clock.now // 300_000 * 300_000
    assert all(float(r[3]) <= min(float(r[1]), float(r[4])) for r in rows)
    assert all(float(r[2]) >= max(float(r[1]), float(r[4])) for r in rows)
    # the default trend is up: the newest close is above the oldest open
    assert float(rows[0][4]) > float(rows[-1][1])
    start = starts[10]
    ranged = body(get(sim, Endpoint.KLINE, params | {"start": start, "limit": 3}, signed=False))
    assert [int(r[0]) for r in ranged["result"]["list"]] == starts[8:11]


@pytest.mark.parametrize(
    ("account_type", "status", "uta", "wallet"),
    [("classic", 1, 0, "CONTRACT"), ("uta1", 3, 1, "UNIFIED"), ("uta2", 6, 1, "UNIFIED")],
)
def test_account_views_per_account_type(clock, account_type, status, uta, wallet) -> None:
    sim = BybitSimulator(account_type, clock=clock)
    info = body(get(sim, Endpoint.ACCOUNT_INFO))["result"]
    assert (info["unifiedMarginStatus"], info["marginMode"]) == (status, "REGULAR_MARGIN")
    key = body(get(sim, Endpoint.QUERY_API))["result"]
    assert (key["uta"], key["unified"], key["readOnly"]) == (uta, 0, 0)
    balance = body(get(sim, Endpoint.WALLET_BALANCE, {"accountType": wallet}))["result"]["list"][0]
    usdt = next(c for c in balance["coin"] if c["coin"] == "USDT")
    assert (balance["accountType"], usdt["walletBalance"]) == (wallet, "10000")
    wrong = "UNIFIED" if wallet == "CONTRACT" else "SPOT"
    assert body(get(sim, Endpoint.WALLET_BALANCE, {"accountType": wrong}))["retCode"] == 10001
    lower = body(get(sim, Endpoint.WALLET_BALANCE, {"accountType": wallet.lower()}))
    assert lower["retCode"] == 10001


def test_latency_knob() -> None:
    sim = BybitSimulator(latency_ms=40)
    started = time.perf_counter()
    get(sim, Endpoint.SERVER_TIME, signed=False)
    assert time.perf_counter() - started >= 0.04


def test_concurrent_dispatch_is_consistent() -> None:
    sim = BybitSimulator(rate_limits=False)

    def work(i: int) -> int:
        symbol = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")[i % 4]
        resp = post(
            sim,
            Endpoint.ORDER_CREATE,
            {
                "category": "linear",
                "symbol": symbol,
                "side": "Buy",
                "orderType": "Limit",
                "qty": "1",
                "price": "0.1" if i % 4 == 3 else "1",
            },
        )
        return int(body(resp)["retCode"])

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(work, range(40)))
    assert codes == [0] * 40
    assert [e.seq for e in sim.journal] == list(range(1, 41))
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")
    assert [sim.symbol_state(s)["open_orders"] for s in symbols] == [10] * 4
    assert len({o.order_id for o in sim.backend.book.orders.values()}) == 40
