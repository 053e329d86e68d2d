"""Injected faults through ``dispatch``: retCodes, gateway pages, garbled HTTP-200 bodies,
timeouts and drops before and after the request was applied, strictness."""

import json

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, FaultKind

from .helpers import FakeClock, body, get, leverage_body, post


SWITCH = {
    "category": "linear",
    "symbol": "BTCUSDT",
    "tradeMode": 1,
    "buyLeverage": "5",
    "sellLeverage": "5",
}
READ = {"category": "linear", "symbol": "BTCUSDT"}


@pytest.fixture
def sim(clock: FakeClock) -> BybitSimulator:
    return BybitSimulator(clock=clock)


def switched(sim: BybitSimulator) -> bool:
    """BTCUSDT is isolated at 5x (the SWITCH request was applied)."""
    state = sim.symbol_state("BTCUSDT")
    return (state["trade_mode"], state["leverage"]) == (1, "5")


def test_fault_after_and_times(sim: BybitSimulator) -> None:
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=10006, times=2, after=1)
    codes = []
    for lev in ("2", "3", "4", "5"):
        resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body(lev))
        codes.append(body(resp)["retCode"])
    assert codes == [0, 10006, 10006, 0]
    assert sim.symbol_state("BTCUSDT")["leverage"] == "5"
    assert [e.ret_code for e in sim.requests(path=Endpoint.SET_LEVERAGE)] == codes


def test_refuse_one_symbol_forever(sim: BybitSimulator) -> None:
    sim.refuse(path=Endpoint.SET_LEVERAGE, symbol="XRPUSDT", ret_code=110013)
    for _ in range(3):
        resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body("2", "XRPUSDT"))
        assert body(resp)["retCode"] == 110013
    ok = post(sim, Endpoint.SET_LEVERAGE, leverage_body("2", "ETHUSDT"))
    assert body(ok)["retCode"] == 0


def test_http_5xx_and_timeout_faults(sim: BybitSimulator) -> None:
    sim.inject_fault(path=Endpoint.SERVER_TIME, http_status=503)
    resp = get(sim, Endpoint.SERVER_TIME, signed=False)
    assert (resp.status, resp.headers["Content-Type"]) == (503, "text/html")
    assert b"503 Service Unavailable" in resp.body
    sim.inject_fault(path=Endpoint.SERVER_TIME, timeout=True)
    resp = get(sim, Endpoint.SERVER_TIME, signed=False)
    assert resp.timeout
    assert resp.status == 504
    assert get(sim, Endpoint.SERVER_TIME, signed=False).status == 200


def test_5xx_burst_on_uta2_then_answers(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    sim.inject_fault(path=Endpoint.SET_MARGIN_MODE, http_status=502, times=3)
    statuses = [
        post(sim, Endpoint.SET_MARGIN_MODE, {"setMarginMode": "ISOLATED_MARGIN"}).status
        for _ in range(4)
    ]
    assert statuses == [502, 502, 502, 200]
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    # gateway pages are not counted by the rate limiter and carry no X-Bapi-* header
    assert [e.response_headers.get("X-Bapi-Limit-Status") for e in sim.journal] == [  # type: ignore[union-attr]
        None,
        None,
        None,
        "4",
    ]


def parse_envelope(raw: bytes) -> dict | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@pytest.mark.parametrize("kind", ["html", "empty", "truncated_json", "no_ret_code"])
@pytest.mark.parametrize("applied", [False, True])
def test_garbled_200_on_a_write(sim: BybitSimulator, kind: str, applied: bool) -> None:
    fault = sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, kind=kind, applied=applied)
    resp = post(sim, Endpoint.SWITCH_ISOLATED, SWITCH)
    assert resp.status == 200
    envelope = parse_envelope(resp.body)
    assert envelope is None or "retCode" not in envelope  # nothing a client could trust
    if kind == "html":
        assert resp.headers["Content-Type"] == "text/html"
        assert resp.body.startswith(b"<!DOCTYPE html>")
    if kind == "empty":
        assert resp.body == b""
    if kind == "truncated_json":
        assert resp.body.startswith(b'{"retCode":')
    assert switched(sim) is applied  # before: nothing changed; applied: state changed
    (entry,) = sim.journal
    assert (entry.fault, entry.ret_code) == (f"{kind}/applied" if applied else kind, None)
    assert fault.fired == 1
    again = post(sim, Endpoint.SWITCH_ISOLATED, SWITCH)
    assert body(again)["retCode"] == (RetCode.MARGIN_MODE_NOT_MODIFIED if applied else 0)


@pytest.mark.parametrize("kind", ["html", "empty", "truncated_json", "no_ret_code"])
def test_garbled_200_on_a_read(sim: BybitSimulator, kind: str) -> None:
    sim.inject_fault(path=Endpoint.POSITION_LIST, kind=kind, applied=True)
    resp = get(sim, Endpoint.POSITION_LIST, READ)
    assert resp.status == 200
    envelope = parse_envelope(resp.body)
    assert envelope is None or "retCode" not in envelope
    if kind == "no_ret_code":
        assert envelope is not None
        assert envelope["result"]["list"][0]["symbol"] == "BTCUSDT"  # the real rows, no code
    assert body(get(sim, Endpoint.POSITION_LIST, READ))["retCode"] == 0


def test_10006_fault_carries_the_reset_header(sim: BybitSimulator, clock: FakeClock) -> None:
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=10006, reset_in_ms=2500)
    resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body("3"))
    assert (body(resp)["retCode"], body(resp)["retMsg"]) == (10006, "Too many visits!")
    assert (
        resp.headers["X-Bapi-Limit"],
        resp.headers["X-Bapi-Limit-Status"],
        resp.headers["X-Bapi-Limit-Reset-Timestamp"],
    ) == ("10", "0", str(clock.now + 2500))
    assert sim.symbol_state("BTCUSDT")["leverage"] == "10"
    sim.inject_fault(path=Endpoint.POSITION_LIST, ret_code=10006)  # default: one window
    read = get(sim, Endpoint.POSITION_LIST, READ)
    assert read.headers["X-Bapi-Limit-Reset-Timestamp"] == str(clock.now + 1000)


@pytest.mark.parametrize(
    ("code", "message"),
    [(10016, "Server error"), (10002, "invalid request, please check your server timestamp")],
)
def test_transient_ret_codes_on_reads_and_writes(
    sim: BybitSimulator, code: int, message: str
) -> None:
    sim.inject_fault(path=Endpoint.POSITION_LIST, ret_code=code)
    sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, ret_code=code)
    read = body(get(sim, Endpoint.POSITION_LIST, READ))
    write = body(post(sim, Endpoint.SWITCH_ISOLATED, SWITCH))
    assert (read["retCode"], write["retCode"]) == (code, code)
    assert read["retMsg"].startswith(message)
    assert not switched(sim)


def test_ret_code_after_the_request_was_applied(sim: BybitSimulator) -> None:
    sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, ret_code=10016, applied=True)
    assert body(post(sim, Endpoint.SWITCH_ISOLATED, SWITCH))["retCode"] == 10016
    assert switched(sim)  # "server error", yet the switch happened


@pytest.mark.parametrize("kind", ["timeout", "drop"])
@pytest.mark.parametrize("applied", [False, True])
def test_lost_answers_before_and_after_applying(
    sim: BybitSimulator, kind: str, applied: bool
) -> None:
    sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, kind=kind, applied=applied)
    resp = post(sim, Endpoint.SWITCH_ISOLATED, SWITCH)
    assert (resp.timeout, resp.dropped) == (kind == "timeout", kind == "drop")
    assert switched(sim) is applied
    assert sim.journal[-1].fault == (f"{kind}/applied" if applied else kind)
    assert sim.journal[-1].http_status == (504 if kind == "timeout" else 0)


def test_a_fault_without_path_hits_any_endpoint_reads_included(sim: BybitSimulator) -> None:
    sim.inject_fault(kind="drop", times=2)
    assert get(sim, Endpoint.ACCOUNT_INFO).dropped
    assert get(sim, Endpoint.POSITION_LIST, READ).dropped
    assert body(get(sim, Endpoint.POSITION_LIST, READ))["retCode"] == 0


def test_method_and_symbol_filters(sim: BybitSimulator) -> None:
    sim.inject_fault(kind="empty", method="get", symbol="ETHUSDT", times=None)
    assert body(get(sim, Endpoint.POSITION_LIST, READ))["retCode"] == 0
    eth = get(sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "ETHUSDT"})
    assert eth.body == b""
    assert body(post(sim, Endpoint.SET_LEVERAGE, leverage_body("3", "ETHUSDT")))["retCode"] == 0


def test_strictness_every_fault_fired(sim: BybitSimulator) -> None:
    fired = sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=10016)
    never = sim.inject_fault(path=Endpoint.SWITCH_ISOLATED, kind=FaultKind.DROP, applied=True)
    post(sim, Endpoint.SET_LEVERAGE, leverage_body("3"))
    assert sim.unfired_faults() == [never]
    with pytest.raises(AssertionError, match=r"1 injected fault\(s\) never fired: drop/applied"):
        sim.assert_faults_fired()
    post(sim, Endpoint.SWITCH_ISOLATED, SWITCH)
    sim.assert_faults_fired()
    assert (fired.fired, never.fired) == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "garbage"}, "kind 'garbage' is not one of ret_code, http_status, html"),
        ({"kind": "ret_code"}, "kind 'ret_code' needs ret_code"),
        ({"kind": "http_status", "http_status": 200}, "needs http_status in 400..599"),
        ({}, "give kind"),
        ({"path": "/v5/position/switch_isolated", "kind": "drop"}, "is not a simulator route"),
        ({"kind": "drop", "times": 0}, "times must be >= 1 or None"),
    ],
)
def test_fault_arguments_are_checked(sim: BybitSimulator, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sim.inject_fault(**kwargs)
    assert sim.faults == []


def test_one_symbol_throttled_forever_with_the_reset_header(
    sim: BybitSimulator, clock: FakeClock
) -> None:
    # every write of XRPUSDT answers 10006 "Too many visits!" with X-Bapi-Limit-Reset-Timestamp
    # (rate-limit.mdx: "the timestamp indicating when your request limit resets if you have
    # exceeded your rate_limit"); other symbols and reads are untouched
    sim.inject_fault(method="POST", symbol="XRPUSDT", ret_code=10006, times=None)
    writes = [
        (Endpoint.SET_LEVERAGE, leverage_body("3", "XRPUSDT")),
        (Endpoint.SWITCH_ISOLATED, SWITCH | {"symbol": "XRPUSDT"}),
        (
            Endpoint.ORDER_CREATE,
            {
                "category": "linear",
                "symbol": "XRPUSDT",
                "side": "Buy",
                "orderType": "Market",
                "qty": "10",
            },
        ),
    ]
    for _ in range(3):
        for path, payload in writes:
            resp = post(sim, path, payload)
            assert (body(resp)["retCode"], body(resp)["retMsg"]) == (10006, "Too many visits!")
            assert resp.headers["X-Bapi-Limit-Reset-Timestamp"] == str(clock.now + 1000)
            assert resp.headers["X-Bapi-Limit-Status"] == "0"
        clock.advance(1000)
    state = sim.symbol_state("XRPUSDT")
    assert (state["leverage"], state["trade_mode"], state["position_size"]) == ("10", 0, "0")
    assert body(post(sim, Endpoint.SET_LEVERAGE, leverage_body("3", "ETHUSDT")))["retCode"] == 0
    read = get(sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "XRPUSDT"})
    assert body(read)["retCode"] == 0


def test_injected_ret_msg_may_hold_any_text(sim: BybitSimulator) -> None:
    text = 'key=simkey0000000000 "quoted" \\ back\nnewline ünïcode {json: [1]} <b>'
    sim.inject_fault(path=Endpoint.SET_LEVERAGE, ret_code=10001, ret_msg=text)
    resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body("3"))
    assert body(resp)["retMsg"] == text
    assert sim.journal[-1].ret_msg == text
