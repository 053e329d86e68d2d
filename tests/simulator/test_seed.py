"""Seed documents: ``BybitSimulator.seed`` and ``POST /_sim/seed`` reproduce a state; a bad
field is refused with its name, value and what is allowed (HTTP 400 over the wire)."""

import json
import urllib.error
import urllib.request

import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import BybitSimulator, SeedError, ThreadedSimulatorServer

from .helpers import FakeClock, body, get, signed_headers


DOC = {
    "account_margin_mode": "ISOLATED_MARGIN",
    "wallet": {"USDT": "5000"},
    "api_keys": [{"api_key": "bot2", "api_secret": "bot2secret", "read_only": True}],
    "symbols": {
        "BTCUSDT": {"leverage": "5", "sell_leverage": "4", "max_leverage": "25", "hedge": True},
        "ETHUSDT": {"leverage": "3"},
    },
    "positions": [
        {"symbol": "XRPUSDT", "side": "Sell", "size": "100", "leverage": "10"},
        {"symbol": "BTCUSDT", "side": "Sell", "size": "0.01"},
    ],
    "option_positions": [{"symbol": "BTC-27DEC24-60000-C", "side": "Buy", "size": "1"}],
    "orders": [{"symbol": "SOLUSDT", "side": "Buy", "qty": "1", "price": "100"}],
    "borrow": {"USDT": "50"},
    "ip_ban": {"seconds": 60, "ip": "10.9.9.9"},
}


def test_seed_reproduces_a_state(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    summary = sim.seed(DOC)
    assert len(summary["orders"]) == 1
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    btc = sim.symbol_state("BTCUSDT")
    assert (btc["position_mode"], btc["leverage"], btc["sell_leverage"], btc["max_leverage"]) == (
        3,
        "5",
        "4",
        "25",
    )
    assert [(p["idx"], p["side"], p["leverage"]) for p in btc["positions"]] == [(2, "Sell", "4")]
    xrp = sim.symbol_state("XRPUSDT")
    assert (xrp["position_side"], xrp["position_size"], xrp["position_leverage"]) == (
        "Sell",
        "100",
        "10",
    )
    assert sim.symbol_state("SOLUSDT")["open_orders"] == 1
    state = sim.state()
    assert (state["wallet"]["USDT"], state["borrow"]) == ("5000", {"USDT": "50"})
    assert [r["symbol"] for r in state["option_positions"]] == ["BTC-27DEC24-60000-C"]
    assert state["ip_bans"] == {"10.9.9.9": clock.now + 60_000}
    key = body(get(sim, Endpoint.QUERY_API, key="bot2", secret="bot2secret"))["result"]
    assert (key["apiKey"], key["readOnly"]) == ("bot2", 1)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"nope": 1}, "seed field (document).nope = 1 is not allowed; allowed: the fields"),
        (
            {"account_margin_mode": "CROSS"},
            "account_margin_mode = 'CROSS' is not allowed; allowed: "
            "ISOLATED_MARGIN, REGULAR_MARGIN, PORTFOLIO_MARGIN",
        ),
        ({"symbols": {"BTCUSDX": {}}}, "symbols.BTCUSDX = 'BTCUSDX' is not allowed; allowed: "),
        (
            {"symbols": {"BTCUSDT": {"trade_mode": 2}}},
            "symbols.BTCUSDT.trade_mode = 2 is not allowed; allowed: 0, 1",
        ),
        ({"symbols": {"BTCUSDT": {"leverage": "-1"}}}, "symbols.BTCUSDT.leverage = '-1'"),
        (
            {"symbols": {"BTCUSDT": {"hedge": "yes"}}},
            "symbols.BTCUSDT.hedge = 'yes' is not allowed; allowed: true or false",
        ),
        (
            {"positions": [{"symbol": "XRPUSDT", "side": "Long", "size": "1"}]},
            "positions[0].side = 'Long' is not allowed; allowed: Buy, Sell",
        ),
        (
            {"orders": [{"symbol": "SOLUSDT", "side": "Buy", "qty": "1"}]},
            "orders[0].price = None is not allowed; allowed: a limit price",
        ),
        ({"borrow": {"usdt": "5"}}, "borrow.usdt = 'usdt' is not allowed; allowed: an upper-case"),
        ({"api_keys": [{"api_key": "k"}]}, "api_keys[0].api_secret = None is not allowed"),
        (
            {"api_keys": [{"api_key": "k", "api_secret": "s", "deadline_day": "3"}]},
            "api_keys[0].deadline_day = '3' is not allowed; allowed: an integer number of days",
        ),
        (
            {"positions": {"symbol": "XRPUSDT"}},
            "positions = {'symbol': 'XRPUSDT'} is not allowed; allowed: a JSON array",
        ),
    ],
)
def test_bad_fields_are_named(clock: FakeClock, doc: dict, message: str) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    with pytest.raises(SeedError) as err:
        sim.seed(doc)
    assert message in str(err.value)
    assert sim.account_margin_mode == "REGULAR_MARGIN"  # checked before anything applied


def test_state_conflicts_are_value_errors(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    with pytest.raises(ValueError, match="allowed: USDT-settled linear perpetuals"):
        sim.seed({"symbols": {"BTCUSD": {"hedge": True}}})
    with pytest.raises(ValueError, match="option symbol 'BTC-CALL' is not allowed"):
        sim.seed({"option_positions": [{"symbol": "BTC-CALL", "side": "Buy", "size": "1"}]})


def post_json(url: str, data: object) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_seed_over_http() -> None:
    sim = BybitSimulator("uta2")
    with ThreadedSimulatorServer(sim) as server:
        status, data = post_json(
            f"{server.url}/_sim/seed", {"symbols": {"BTCUSDT": {"hedge": True}}}
        )
        assert (status, data["seeded"]["applied"]) == (200, ["set_position_mode"])
        query = "category=linear&symbol=BTCUSDT"
        request = urllib.request.Request(
            f"{server.url}{Endpoint.POSITION_LIST}?{query}",
            headers=signed_headers(query, sim.clock()),
        )
        with urllib.request.urlopen(request, timeout=5) as reply:
            listed = json.loads(reply.read())["result"]["list"]
        assert [r["positionIdx"] for r in listed] == [2, 1]
        status, data = post_json(
            f"{server.url}/_sim/seed", {"symbols": {"BTCUSDT": {"trade_mode": "x"}}}
        )
        assert status == 400
        assert data["error"] == (
            "seed field symbols.BTCUSDT.trade_mode = 'x' is not allowed; allowed: 0, 1"
        )
        status, data = post_json(f"{server.url}/_sim/seed", ["not", "an", "object"])
        assert status == 400
        assert "allowed: a JSON object" in data["error"]
        status, data = post_json(f"{server.url}/_sim/ban-ip", {"seconds": 5, "ip": "10.0.0.3"})
        assert (status, sim.ipguard.bans) == (200, {"10.0.0.3": data["banned_until"]})
