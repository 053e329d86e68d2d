"""Per-UID rate limits through ``dispatch``: the ``X-Bapi-Limit*`` headers, 10006, limits per
account type and category, keys sharing a UID, and "another client" spending the budget."""

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs

from .helpers import FakeClock, body, get, leverage_body, post


LIMIT, STATUS, RESET = "X-Bapi-Limit", "X-Bapi-Limit-Status", "X-Bapi-Limit-Reset-Timestamp"


@pytest.fixture
def sim(clock: FakeClock) -> BybitSimulator:
    return BybitSimulator(clock=clock)


def headers_of(resp) -> tuple[str, str, str]:
    return resp.headers[LIMIT], resp.headers[STATUS], resp.headers[RESET]


def test_rate_limit_headers_and_10006(sim: BybitSimulator, clock: FakeClock) -> None:
    statuses = []
    for i in range(11):
        resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body(str(2 + i)))
        statuses.append((body(resp)["retCode"], resp.headers["X-Bapi-Limit-Status"]))
        clock.advance(10)
    assert statuses[0] == (0, "9")
    assert statuses[9] == (0, "0")
    assert statuses[10][0] == RetCode.TOO_MANY_VISITS
    assert resp.headers["X-Bapi-Limit"] == "10"
    assert int(resp.headers["X-Bapi-Limit-Reset-Timestamp"]) > clock.now
    assert body(resp)["retMsg"] == "Too many visits!"
    # other endpoints have their own window; the window rolls after one second
    assert body(get(sim, Endpoint.ACCOUNT_INFO))["retCode"] == 0
    clock.advance(1000)
    ok = post(sim, Endpoint.SET_LEVERAGE, leverage_body("20"))
    assert body(ok)["retCode"] == 0
    assert get(sim, Endpoint.SERVER_TIME, signed=False).headers.get("X-Bapi-Limit") is None


def test_header_values_are_exact(sim: BybitSimulator, clock: FakeClock) -> None:
    t0 = clock.now
    for i in range(10):
        resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body(str(2 + i)))
        # not exceeded: remaining after this call, reset = the current time
        assert headers_of(resp) == ("10", str(9 - i), str(clock.now))
        clock.advance(10)
    clock.now = t0 + 999  # the first call is still inside the rolling second
    refused = post(sim, Endpoint.SET_LEVERAGE, leverage_body("30"))
    assert body(refused)["retCode"] == RetCode.TOO_MANY_VISITS
    assert headers_of(refused) == ("10", "0", str(t0 + 1000))  # when the first call leaves
    assert sim.journal[-1].response_headers is not None
    assert sim.journal[-1].response_headers[RESET] == str(t0 + 1000)
    clock.now = t0 + 1000
    resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body("30"))
    assert body(resp)["retCode"] == 0  # refused calls were not counted
    assert headers_of(resp) == ("10", "0", str(t0 + 1000))
    assert sim.symbol_state("BTCUSDT")["leverage"] == "30"


def test_business_errors_carry_headers_auth_errors_do_not(sim: BybitSimulator) -> None:
    not_modified = post(sim, Endpoint.SET_LEVERAGE, leverage_body("10"))
    assert body(not_modified)["retCode"] == RetCode.LEVERAGE_NOT_MODIFIED
    assert headers_of(not_modified)[:2] == ("10", "9")
    bad_key = post(sim, Endpoint.SET_LEVERAGE, leverage_body("5"), key="unknown")
    assert body(bad_key)["retCode"] == RetCode.INVALID_API_KEY
    assert LIMIT not in bad_key.headers


def test_rate_limits_can_be_disabled(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock, rate_limits=False)
    codes = {body(get(sim, Endpoint.QUERY_API))["retCode"] for _ in range(30)}
    assert codes == {0}
    assert LIMIT not in get(sim, Endpoint.QUERY_API).headers


@pytest.mark.parametrize(
    ("account_type", "path", "category", "limit"),
    [
        ("classic", Endpoint.POSITION_LIST, "linear", 10),
        ("classic", Endpoint.POSITION_LIST, "inverse", 10),
        ("classic", Endpoint.ORDER_REALTIME, "linear", 10),
        ("classic", Endpoint.ORDER_HISTORY, "linear", 10),
        ("classic", Endpoint.EXECUTION_LIST, "linear", 10),
        ("uta1", Endpoint.POSITION_LIST, "linear", 50),
        ("uta1", Endpoint.POSITION_LIST, "inverse", 10),
        ("uta1", Endpoint.ORDER_REALTIME, "inverse", 10),
        ("uta2", Endpoint.POSITION_LIST, "linear", 50),
        ("uta2", Endpoint.ORDER_REALTIME, "linear", 50),
    ],
)
def test_read_limits_per_account_type(
    clock: FakeClock, account_type: str, path: str, category: str, limit: int
) -> None:
    # rate-limit.mdx at 9f53178f: Classic reads 10/s; UTA1.0 Pro linear 50/s, inverse 10/s;
    # UTA2.0 Pro 50/s
    sim = BybitSimulator(account_type, clock=clock)
    params = {"category": category, "symbol": "BTCUSDT" if category == "linear" else "BTCUSD"}
    codes = [body(get(sim, path, params))["retCode"] for _ in range(limit + 1)]
    assert codes == [0] * limit + [RetCode.TOO_MANY_VISITS]
    assert sim.journal[-1].response_headers[LIMIT] == str(limit)  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (Endpoint.SET_MARGIN_MODE, 5),
        (Endpoint.ACCOUNT_INFO, 50),
        (Endpoint.QUERY_API, 10),
        (Endpoint.COIN_INFO, 5),
        (Endpoint.SWITCH_ISOLATED, 10),
        (Endpoint.POSITION_SYMBOL_INFO, 50),
    ],
)
def test_common_limits_in_headers(clock: FakeClock, path: str, limit: int) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    if path in (Endpoint.SET_MARGIN_MODE, Endpoint.SWITCH_ISOLATED):
        resp = post(sim, path, {"setMarginMode": "REGULAR_MARGIN", "category": "linear"})
    else:
        resp = get(sim, path, {"category": "linear"} if "position" in path else {})
    assert resp.headers[LIMIT] == str(limit)


def test_windows_per_category_and_the_knob(clock: FakeClock) -> None:
    sim = BybitSimulator("uta1", clock=clock)
    for _ in range(10):
        get(sim, Endpoint.POSITION_LIST, {"category": "inverse", "symbol": "BTCUSD"})
    inverse = get(sim, Endpoint.POSITION_LIST, {"category": "inverse", "symbol": "BTCUSD"})
    linear = get(sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"})
    assert body(inverse)["retCode"] == RetCode.TOO_MANY_VISITS
    assert (body(linear)["retCode"], headers_of(linear)[:2]) == (0, ("50", "49"))

    shared = BybitSimulator("uta1", clock=clock, knobs=SimKnobs(rate_window_per_category=False))
    for _ in range(10):
        get(shared, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"})
    one_window = get(shared, Endpoint.POSITION_LIST, {"category": "inverse", "symbol": "BTCUSD"})
    assert body(one_window)["retCode"] == RetCode.TOO_MANY_VISITS  # 10 linear calls count


def test_api_keys_on_one_uid_share_one_budget(sim: BybitSimulator) -> None:
    sim.add_api_key("botkey2", "botsecret2")
    sim.add_api_key("otheraccount", "othersecret", uid=200_000_002)
    for i in range(5):
        post(sim, Endpoint.SET_LEVERAGE, leverage_body(str(2 + i)))
        post(
            sim,
            Endpoint.SET_LEVERAGE,
            leverage_body(str(20 + i), "ETHUSDT"),
            key="botkey2",
            secret="botsecret2",
        )
    second = post(
        sim, Endpoint.SET_LEVERAGE, leverage_body("40"), key="botkey2", secret="botsecret2"
    )
    assert body(second)["retCode"] == RetCode.TOO_MANY_VISITS
    other = post(
        sim, Endpoint.SET_LEVERAGE, leverage_body("41"), key="otheraccount", secret="othersecret"
    )
    assert (body(other)["retCode"], other.headers[STATUS]) == (0, "9")
    key_info = body(get(sim, Endpoint.QUERY_API, key="botkey2", secret="botsecret2"))["result"]
    assert (key_info["apiKey"], key_info["userID"]) == ("botkey2", sim.uid)
    with pytest.raises(ValueError, match="non-empty"):
        sim.add_api_key("", "x")


def test_another_client_saturates_then_the_window_drains(
    sim: BybitSimulator, clock: FakeClock
) -> None:
    t0 = clock.now
    hog = sim.spend_budget(Endpoint.SET_LEVERAGE, seconds=2.5)
    codes, resets = [], []
    for step in range(0, 3500, 100):
        clock.now = t0 + step
        resp = post(sim, Endpoint.SET_LEVERAGE, leverage_body(str(2 + step // 100)))
        codes.append(body(resp)["retCode"])
        resets.append(int(resp.headers[RESET]))
    # the other client takes every slot the moment it frees, until its calls made at
    # t0 + 2000 leave the window at t0 + 3000; each 10006 names the next freeing
    assert codes == [RetCode.TOO_MANY_VISITS] * 30 + [0] * 5
    assert resets[:30] == [t0 + (step // 1000 + 1) * 1000 for step in range(0, 3000, 100)]
    assert hog.counted == 30
    assert sim.symbol_state("BTCUSDT")["leverage"] == "36"  # the last call, at t0 + 3400


def test_another_client_below_the_limit_leaves_room(sim: BybitSimulator, clock: FakeClock) -> None:
    hog = sim.spend_budget(Endpoint.POSITION_LIST, seconds=1, per_second=4)
    clock.advance(900)
    codes = [
        body(get(sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"}))[
            "retCode"
        ]
        for _ in range(7)
    ]
    assert codes == [0] * 6 + [RetCode.TOO_MANY_VISITS]  # classic 10/s, 4 spent by the other
    assert hog.counted == 4


def test_spend_budget_checks_its_arguments(sim: BybitSimulator) -> None:
    with pytest.raises(ValueError, match="not a private simulator route"):
        sim.spend_budget(Endpoint.SERVER_TIME, seconds=1)
    with pytest.raises(ValueError, match="not a private simulator route"):
        sim.spend_budget("/v5/position/set_leverage", seconds=1)
    with pytest.raises(ValueError, match="must be positive"):
        sim.spend_budget(Endpoint.SET_LEVERAGE, seconds=0)
