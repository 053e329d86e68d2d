"""The account seen as a whole: portfolio-margin rows, positions in every category (USDC
linear, inverse, option), spot-margin liabilities, and what blocks an account margin-mode
switch, through ``dispatch``."""

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs

from .helpers import FakeClock, body, get, leverage_body, post


def listed(sim: BybitSimulator, **params: str) -> dict:
    return dict(body(get(sim, Endpoint.POSITION_LIST, params)))


def set_margin_mode(sim: BybitSimulator, mode: str) -> dict:
    return dict(body(post(sim, Endpoint.SET_MARGIN_MODE, {"setMarginMode": mode})))


# ------------------------------------------------------------------ portfolio margin


def test_portfolio_margin_rows(clock: FakeClock) -> None:
    # position.mdx: "for portfolio margin mode, this field returns """ (leverage), riskId 0,
    # riskLimitValue 0, liqPrice / positionIM / positionMM empty
    sim = BybitSimulator("uta2", clock=clock, account_margin_mode="PORTFOLIO_MARGIN")
    sim.open_position("ETHUSDT", side="Buy", size="0.5", leverage="4")
    (flat,) = listed(sim, category="linear", symbol="BTCUSDT")["result"]["list"]
    (held,) = listed(sim, category="linear", settleCoin="USDT")["result"]["list"]
    for row in (flat, held):
        assert (row["leverage"], row["riskId"], row["riskLimitValue"]) == ("", 0, "0")
        assert (row["liqPrice"], row["positionIM"], row["positionMM"]) == ("", "", "")
    assert held["size"] == "0.5"


def test_symbol_info_errors_under_portfolio_margin(clock: FakeClock) -> None:
    # batch-lvg.mdx: "Under Portfolio Margin mode, this endpoint returns an error" (code
    # undocumented: SimKnobs.pm_symbol_info_ret_code)
    sim = BybitSimulator("uta2", clock=clock, account_margin_mode="PORTFOLIO_MARGIN")
    data = body(get(sim, Endpoint.POSITION_SYMBOL_INFO, {"category": "linear"}))
    assert (data["retCode"], data["retMsg"]) == (
        10001,
        "Under Portfolio Margin mode, this endpoint returns an error",
    )
    knob = BybitSimulator(
        "uta2",
        account_margin_mode="PORTFOLIO_MARGIN",
        knobs=SimKnobs(pm_symbol_info_ret_code=110077),
    )
    assert (
        body(get(knob, Endpoint.POSITION_SYMBOL_INFO, {"category": "linear"}))["retCode"] == 110077
    )
    regular = BybitSimulator("uta2", clock=clock)
    assert body(get(regular, Endpoint.POSITION_SYMBOL_INFO, {"category": "linear"}))["retCode"] == 0


def test_set_leverage_under_portfolio_margin_is_110038(clock: FakeClock) -> None:
    # docs/v5/error.mdx: 110038 "not allowed to change leverage due to portfolio margin mode"
    sim = BybitSimulator("uta2", clock=clock, account_margin_mode="PORTFOLIO_MARGIN")
    assert body(post(sim, Endpoint.SET_LEVERAGE, leverage_body("5")))["retCode"] == 110038


# ------------------------------------------------------------------ every category


def test_positions_in_every_category(clock: FakeClock) -> None:
    # position.mdx: category linear (USDT and USDC contracts), inverse, option
    sim = BybitSimulator("uta2", clock=clock)
    sim.open_position("XRPUSDT", side="Sell", size="100")
    sim.open_position("BTCPERP", side="Buy", size="0.01")
    sim.open_position("BTCUSD", side="Sell", size="100")
    sim.open_option_position("BTC-27DEC24-60000-C", side="Buy", size="2", price="1500")
    sim.open_option_position("ETH-27DEC24-3000-P", side="Sell", size="1", price="90")
    usdt = listed(sim, category="linear", settleCoin="USDT")["result"]["list"]
    usdc = listed(sim, category="linear", settleCoin="USDC")["result"]["list"]
    inverse = listed(sim, category="inverse")["result"]["list"]
    option = listed(sim, category="option")["result"]["list"]
    btc_options = listed(sim, category="option", baseCoin="BTC")["result"]["list"]
    assert [r["symbol"] for r in usdt] == ["XRPUSDT"]
    assert [(r["symbol"], r["side"]) for r in usdc] == [("BTCPERP", "Buy")]
    assert [(r["symbol"], r["size"]) for r in inverse] == [("BTCUSD", "100")]
    assert [(r["symbol"], r["side"], r["size"]) for r in option] == [
        ("BTC-27DEC24-60000-C", "Buy", "2"),
        ("ETH-27DEC24-3000-P", "Sell", "1"),
    ]
    assert option[0]["leverage"] == ""
    assert [r["symbol"] for r in btc_options] == ["BTC-27DEC24-60000-C"]


def test_option_category_on_classic_is_404(clock: FakeClock) -> None:
    # docs/pilot-feature/pilot.mdx "Normal account is supported by V5 API": 404 for a Normal
    # account asking category=option on Get Position Info
    sim = BybitSimulator("classic", clock=clock)
    assert get(sim, Endpoint.POSITION_LIST, {"category": "option"}).status == 404
    assert listed(BybitSimulator("uta2", clock=clock), category="option")["result"]["list"] == []


def test_spot_margin_borrowing_shows_in_wallet_balance(clock: FakeClock) -> None:
    # wallet-balance.mdx: coin[].borrowAmount is a UTA's spot-margin liability
    sim = BybitSimulator("uta2", clock=clock)
    sim.seed({"borrow": {"USDT": "50", "SOL": "2.5"}})
    coins = body(get(sim, Endpoint.WALLET_BALANCE, {"accountType": "UNIFIED"}))["result"]["list"][
        0
    ]["coin"]
    borrowed = {c["coin"]: c["borrowAmount"] for c in coins}
    assert (borrowed["USDT"], borrowed["SOL"], borrowed["BTC"]) == ("50", "2.5", "0")


@pytest.mark.parametrize(
    ("seed", "reason_code", "fragment"),
    [
        ({"positions": [{"symbol": "BTCUSD", "side": "Buy", "size": "10"}]}, "3400101", "BTCUSD"),
        (
            {"positions": [{"symbol": "BTCPERP", "side": "Buy", "size": "0.01"}]},
            "3400101",
            "BTCPERP",
        ),
        (
            {"option_positions": [{"symbol": "BTC-27DEC24-60000-C", "side": "Buy", "size": "1"}]},
            "3400101",
            "BTC-27DEC24-60000-C",
        ),
        (
            {"orders": [{"symbol": "SOLUSDT", "side": "Buy", "qty": "1", "price": "1"}]},
            "3400102",
            "SOLUSDT",
        ),
        ({"borrow": {"USDT": "50"}}, "3400103", "USDT 50"),
    ],
)
def test_isolated_margin_refused_by_anything_held(
    clock: FakeClock, seed: dict, reason_code: str, fragment: str
) -> None:
    # positions in any category and open orders block the switch (v3 unified reasons
    # 3400101 / 3400102); isolated margin excludes options and spot margin (reference A4);
    # the liability reason code is SimKnobs.liability_reason_code
    sim = BybitSimulator("uta2", clock=clock)
    sim.seed(seed)
    data = set_margin_mode(sim, "ISOLATED_MARGIN")
    assert data["retCode"] == RetCode.SET_MARGIN_MODE_FAILED
    (reason,) = data["result"]["reasons"]
    assert reason["reasonCode"] == reason_code
    assert fragment in reason["reasonMsg"]
    assert sim.account_margin_mode == "REGULAR_MARGIN"


def test_liabilities_do_not_block_cross(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock, account_margin_mode="ISOLATED_MARGIN")
    sim.set_borrow("USDT", "50")
    assert set_margin_mode(sim, "REGULAR_MARGIN")["retCode"] == 0


def test_collateral_at_platform_limit_is_3200641(clock: FakeClock) -> None:
    # docs/v5/error.mdx: 3200641 "{coin} collateral has reached the platform limit. Disable
    # {coin} collateral before switching margin mode."
    sim = BybitSimulator("uta2", clock=clock)
    sim.seed({"collateral_at_limit": ["USDT"]})
    data = set_margin_mode(sim, "ISOLATED_MARGIN")
    assert (data["retCode"], data["retMsg"]) == (
        3200641,
        "USDT collateral has reached the platform limit. Disable USDT collateral before "
        "switching margin mode.",
    )
    assert set_margin_mode(sim, "REGULAR_MARGIN")["retCode"] == 0  # same mode: nothing to do
    sim.set_collateral_at_limit([])
    assert set_margin_mode(sim, "ISOLATED_MARGIN")["retCode"] == 0


def test_account_info_reflects_a_switch(clock: FakeClock) -> None:
    # account-info.mdx: marginMode and updatedTime
    sim = BybitSimulator("uta2", clock=clock)
    start = clock.now
    clock.advance(5000)
    assert body(get(sim, Endpoint.ACCOUNT_INFO))["result"]["updatedTime"] == str(start)
    assert set_margin_mode(sim, "ISOLATED_MARGIN")["retCode"] == 0
    clock.advance(1000)
    info = body(get(sim, Endpoint.ACCOUNT_INFO))["result"]
    assert (info["marginMode"], info["updatedTime"]) == ("ISOLATED_MARGIN", str(start + 5000))
