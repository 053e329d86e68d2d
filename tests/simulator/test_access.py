"""What a key may do and what query-api says about it; HTTP 401 without auth headers; the
signature error echoing the key (never the secret), through ``dispatch``.

Sources: https://bybit-exchange.github.io/docs/v5/user/apikey-info (fields; the IP-bound
example's ``deadlineDay`` -2 / ``expiredAt`` 1970-01-01), docs/v5/error.mdx (10005, 10010,
33004, HTTP 401 "Need to put authentication params in the request header").
"""

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    KeyProfile,
    SimKnobs,
)

from .helpers import BASE, FakeClock, body, get, leverage_body, post, signed_headers


KEY, SECRET = "otherkey", "othersecretvalue"
ORDER = {
    "category": "linear",
    "symbol": "BTCUSDT",
    "side": "Buy",
    "orderType": "Market",
    "qty": "0.001",
}
CANCEL = {"category": "linear", "symbol": "BTCUSDT", "orderId": "x"}


def as_other(sim: BybitSimulator, path: str, payload: dict | None = None, **kw: str) -> dict:
    """A request signed with the second key (GET without ``payload``)."""
    if payload is None:
        return body(get(sim, path, key=KEY, secret=SECRET))
    return body(post(sim, path, payload, key=KEY, secret=SECRET))


def test_query_api_reports_the_calling_key(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    sim.add_api_key(
        KEY,
        SECRET,
        read_only=True,
        permissions={"ContractTrade": ["Order"], "Wallet": []},
        ips=["10.0.0.7"],
        expires_at="2026-12-01T00:00:00Z",
        deadline_day=12,
    )
    mine = body(get(sim, Endpoint.QUERY_API))["result"]
    other = as_other(sim, Endpoint.QUERY_API)
    assert other["retCode"] == RetCode.UNMATCHED_IP  # requests-mock's IP is 127.0.0.1
    other = body(
        sim.dispatch(
            "GET",
            BASE + Endpoint.QUERY_API + "?",
            signed_headers("", clock.now, key=KEY, secret=SECRET),
            b"",
            client_ip="10.0.0.7",
        )
    )["result"]
    assert (mine["apiKey"], mine["readOnly"], mine["ips"]) == (DEFAULT_API_KEY, 0, ["*"])
    assert mine["permissions"]["ContractTrade"] == ["Order", "Position"]
    # an unbound key expires after three months (reference 2026-12-02 query-api)
    assert (mine["deadlineDay"], mine["expiredAt"]) == (90, "2026-12-20T14:13:20Z")
    assert (other["apiKey"], other["readOnly"], other["ips"]) == (KEY, 1, ["10.0.0.7"])
    assert other["permissions"] == {"ContractTrade": ["Order"], "Wallet": []}
    assert (other["deadlineDay"], other["expiredAt"]) == (12, "2026-12-01T00:00:00Z")
    assert all(SECRET not in str(v) and DEFAULT_API_SECRET not in str(v) for v in other.values())


def test_ip_bound_key_never_expires(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock, key_profile=KeyProfile(ips=("127.0.0.1",)))
    info = body(get(sim, Endpoint.QUERY_API))["result"]
    assert (info["deadlineDay"], info["expiredAt"]) == (-2, "1970-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("profile", "path", "payload"),
    [
        ({"read_only": True}, Endpoint.SET_LEVERAGE, leverage_body("5")),
        ({"read_only": True}, Endpoint.ORDER_CREATE, ORDER),
        ({"read_only": True}, Endpoint.SET_MARGIN_MODE, {"setMarginMode": "ISOLATED_MARGIN"}),
        ({"permissions": {"ContractTrade": ["Order"]}}, Endpoint.SET_LEVERAGE, leverage_body("5")),
        (
            {"permissions": {"ContractTrade": ["Order"]}},
            Endpoint.SET_MARGIN_MODE,
            {"setMarginMode": "ISOLATED_MARGIN"},
        ),
        (
            {"permissions": {"ContractTrade": ["Order"]}},
            Endpoint.SWITCH_POSITION_MODE,
            {"category": "linear", "coin": "USDT", "mode": 0},
        ),
        ({"permissions": {"ContractTrade": ["Position"]}}, Endpoint.ORDER_CREATE, ORDER),
        ({"permissions": {"ContractTrade": ["Position"]}}, Endpoint.ORDER_CANCEL, CANCEL),
    ],
)
def test_missing_rights_are_10005(
    clock: FakeClock, profile: dict, path: str, payload: dict
) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    sim.add_api_key(KEY, SECRET, **profile)
    data = as_other(sim, path, payload)
    assert (data["retCode"], data["retMsg"]) == (
        RetCode.PERMISSION_DENIED,
        "Permission denied, please check your API key permissions.",
    )
    assert sim.account_margin_mode == "REGULAR_MARGIN"
    assert sim.symbol_state("BTCUSDT")["leverage"] == "10"
    assert as_other(sim, Endpoint.POSITION_LIST, None)["retCode"] != RetCode.PERMISSION_DENIED


def test_rights_allow_what_they_name(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    sim.add_api_key(KEY, SECRET, permissions={"ContractTrade": ["Position"]})
    assert as_other(sim, Endpoint.SET_LEVERAGE, leverage_body("5"))["retCode"] == 0
    assert as_other(sim, Endpoint.ACCOUNT_INFO)["retCode"] == 0  # reads need no right


def test_expired_key_is_33004(clock: FakeClock) -> None:
    # docs/v5/error.mdx: 33004 "(Derivatives) Your api key has expired"
    sim = BybitSimulator("uta2", clock=clock)
    sim.add_api_key(KEY, SECRET, expires_at="2026-09-21T14:20:00Z")  # clock: 14:13:20
    assert as_other(sim, Endpoint.ACCOUNT_INFO)["retCode"] == 0
    clock.advance(10 * 60_000)
    data = as_other(sim, Endpoint.ACCOUNT_INFO)
    assert (data["retCode"], data["retMsg"]) == (33004, "Your api key has expired")
    knob = BybitSimulator("uta2", clock=clock, knobs=SimKnobs(expired_key_ret_code=10003))
    knob.add_api_key(KEY, SECRET, expires_at="2020-01-01T00:00:00Z")
    assert as_other(knob, Endpoint.ACCOUNT_INFO)["retCode"] == 10003
    with pytest.raises(ValueError, match="expires_at 'soon' is not allowed"):
        sim.add_api_key("k3", "s3", expires_at="soon")


def test_missing_auth_headers_are_http_401(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    resp = get(
        sim, Endpoint.POSITION_LIST, {"category": "linear", "symbol": "BTCUSDT"}, signed=False
    )
    assert (resp.status, resp.headers["Content-Type"]) == (401, "text/html")
    assert b"401 Authorization Required" in resp.body
    headers = signed_headers("", clock.now)
    del headers["X-BAPI-SIGN"]
    assert sim.dispatch("GET", BASE + Endpoint.ACCOUNT_INFO, headers, b"").status == 401
    assert sim.journal[-1].ret_msg == "missing x-bapi-sign"
    assert get(sim, Endpoint.SERVER_TIME, signed=False).status == 200  # public: no auth


def test_signature_error_echoes_the_key_but_not_the_secret(clock: FakeClock) -> None:
    # Bybit's 10004 retMsg is "error sign! origin_string[<timestamp+key+recvWindow+payload>]"
    # (reference A8): the API key is echoed, as on the real exchange
    sim = BybitSimulator("uta2", clock=clock)
    data = body(post(sim, Endpoint.SET_LEVERAGE, leverage_body("5"), secret="wrong"))
    assert data["retCode"] == RetCode.SIGNATURE_ERROR
    assert DEFAULT_API_KEY in data["retMsg"]
    assert data["retMsg"].startswith(
        f"error sign! origin_string[{clock.now}{DEFAULT_API_KEY}5000{{"
    )
    assert DEFAULT_API_SECRET not in data["retMsg"]
