"""Margin rules without HTTP: support matrix, "not modified" answers, leverage filters,
account-wide margin mode, position rows."""

import pytest

from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.simulator import SimKnobs, SimulatorApiError

from .helpers import code_of, lever, make, switch


@pytest.mark.parametrize(
    ("account_type", "category", "symbol", "expected"),
    [
        ("classic", "linear", "BTCUSDT", 0),
        ("classic", "inverse", "BTCUSD", 0),
        ("uta1", "linear", "BTCUSDT", RetCode.UNIFIED_ACCOUNT_FORBIDDEN),
        ("uta1", "inverse", "BTCUSD", 0),
        ("uta2", "linear", "BTCUSDT", RetCode.UNIFIED_ACCOUNT_FORBIDDEN),
        ("uta2", "inverse", "BTCUSD", RetCode.UNIFIED_ACCOUNT_FORBIDDEN),
    ],
)
def test_switch_isolated_support_matrix(account_type, category, symbol, expected) -> None:
    sim = make(account_type)
    if expected == 0:
        assert switch(sim.backend, symbol, category=category, lev="5") == {}
        assert (sim.symbol_state(symbol)["leverage"], sim.symbol_state(symbol)["trade_mode"]) == (
            "5",
            1,
        )
    else:
        with pytest.raises(SimulatorApiError) as err:
            switch(sim.backend, symbol, category=category)
        assert code_of(err) == expected
        assert sim.symbol_state(symbol)["leverage"] == "10"


def test_uta2_switch_isolated_code_is_a_knob() -> None:
    sim = make("uta2", knobs=SimKnobs(uta2_switch_isolated_ret_code=10001))
    with pytest.raises(SimulatorApiError) as err:
        switch(sim.backend)
    assert code_of(err) == 10001


def test_switch_isolated_same_mode_is_110026_and_keeps_leverage() -> None:
    sim = make()
    sim.set_symbol("BTCUSDT", trade_mode=1, leverage="10")
    with pytest.raises(SimulatorApiError) as err:
        switch(sim.backend, lev="3")
    assert code_of(err) == RetCode.MARGIN_MODE_NOT_MODIFIED
    assert sim.symbol_state("BTCUSDT")["leverage"] == "10"  # ccxt issue 13046


@pytest.mark.parametrize(
    ("lev", "sell", "code", "fragment"),
    [
        ("5", "6", RetCode.PARAMS_ERROR, "must equal"),
        # above the maximum: 110013 with values x100 (reference bybit-v5-margin.md,
        # "Corrections and additions (2026-12-02)": field logs of retCode 110013)
        ("101", None, RetCode.LEVERAGE_RISK_LIMIT, "[10100] gt maxLeverage [10000]"),
        ("0.5", None, RetCode.PARAMS_ERROR, "outside"),
        ("2.555", None, RetCode.PARAMS_ERROR, "leverageStep"),
    ],
)
def test_leverage_validation(lev, sell, code, fragment) -> None:
    sim = make()
    for call in (
        lambda: switch(sim.backend, lev=lev, sell=sell),
        lambda: lever(sim.backend, lev, sell=sell),
    ):
        with pytest.raises(SimulatorApiError) as err:
            call()
        assert code_of(err) == code
        assert fragment in err.value.message
    assert (sim.symbol_state("BTCUSDT")["trade_mode"], sim.symbol_state("BTCUSDT")["leverage"]) == (
        0,
        "10",
    )


def test_leverage_filter_per_instrument() -> None:
    sim = make()
    lever(sim.backend, "100")  # BTCUSDT max 100
    with pytest.raises(SimulatorApiError):
        lever(sim.backend, "51", symbol="SOLUSDT")  # SOLUSDT max 50
    lever(sim.backend, "2.55", symbol="SOLUSDT")
    assert sim.symbol_state("SOLUSDT")["leverage"] == "2.55"


def test_set_leverage_not_modified_and_applies_to_open_position() -> None:
    sim = make()
    with pytest.raises(SimulatorApiError) as err:
        lever(sim.backend, "10")
    assert code_of(err) == RetCode.LEVERAGE_NOT_MODIFIED
    sim.open_position("ETHUSDT", side="Buy", size="0.5", leverage="4")
    lever(sim.backend, "7", symbol="ETHUSDT")
    state = sim.symbol_state("ETHUSDT")
    assert (state["leverage"], state["position_leverage"], state["position_size"]) == (
        "7",
        "7",
        "0.5",
    )


def test_switch_isolated_refuses_usdc_linear() -> None:
    with pytest.raises(SimulatorApiError) as err:
        switch(make().backend, "BTCPERP")
    assert code_of(err) == RetCode.PARAMS_ERROR


def test_switch_isolated_with_open_position_or_order() -> None:
    sim = make()
    sim.open_position("ETHUSDT", side="Buy", size="1")
    sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="1")
    for symbol in ("ETHUSDT", "SOLUSDT"):
        with pytest.raises(SimulatorApiError) as err:
            switch(sim.backend, symbol, lev="5")
        assert "position or active order exists" in err.value.message
        assert sim.symbol_state(symbol)["trade_mode"] == 0
    sim.backend.knobs.switch_with_open_position = "cancel"
    for symbol in ("ETHUSDT", "SOLUSDT"):
        switch(sim.backend, symbol, lev="5")
        state = sim.symbol_state(symbol)
        assert (state["trade_mode"], state["leverage"], state["open_orders"]) == (1, "5", 0)
    assert sim.symbol_state("ETHUSDT")["position_size"] == "1"


def test_set_margin_mode_rules() -> None:
    # Classic: 110073 (was 10028), see test_classic_set_margin_mode_knob
    with pytest.raises(SimulatorApiError) as err:
        make("classic").backend.set_margin_mode(mode="ISOLATED_MARGIN")
    assert code_of(err) == RetCode.SET_MARGIN_MODE_FAILED == 110073

    sim = make("uta2")
    assert sim.backend.set_margin_mode(mode="REGULAR_MARGIN") == {"reasons": []}  # same mode
    with pytest.raises(SimulatorApiError) as err:
        sim.backend.set_margin_mode(mode="PORTFOLIO_MARGIN")
    assert code_of(err) == RetCode.SET_MARGIN_MODE_FAILED == 110073  # not the retired 3400045
    assert err.value.result["reasons"][0]["reasonCode"] == "3400000"

    sim.open_position("BTCUSDT", side="Sell", size="0.01")
    sim.place_resting_order("SOLUSDT", side="Buy", qty="1", price="1")
    with pytest.raises(SimulatorApiError) as err:
        sim.backend.set_margin_mode(mode="ISOLATED_MARGIN")
    reasons = err.value.result["reasons"]
    assert code_of(err) == RetCode.SET_MARGIN_MODE_FAILED
    assert "BTCUSDT" in reasons[0]["reasonMsg"]
    assert "SOLUSDT" in reasons[1]["reasonMsg"]
    assert sim.account_margin_mode == "REGULAR_MARGIN"

    sim.reset()
    assert sim.backend.set_margin_mode(mode="ISOLATED_MARGIN") == {"reasons": []}
    assert sim.account_margin_mode == "ISOLATED_MARGIN"
    assert sim.symbol_state("BTCUSDT")["trade_mode"] == 1


@pytest.mark.parametrize(
    ("account_type", "expected", "flat_side", "inverse_side"),
    [("classic", 1, "None", "None"), ("uta1", 0, "", "None"), ("uta2", 0, "", "")],
)
def test_position_row_trade_mode_and_flat_side(
    account_type: str, expected: int, flat_side: str, inverse_side: str
) -> None:
    # flat one-way rows: side "None" on classic and UTA1.0 inverse, "" on UTA2.0 and UTA1.0
    # linear (position.mdx at e00557a4, field side)
    sim = make(account_type, account_margin_mode="ISOLATED_MARGIN")
    sim.set_symbol("BTCUSDT", trade_mode=1)
    (row,) = sim.backend.position_rows(category="linear", symbol="BTCUSDT", settle_coin=None)
    assert row["tradeMode"] == expected
    assert (row["side"], row["size"], row["leverage"]) == (flat_side, "0", "10")
    (inv,) = sim.backend.position_rows(category="inverse", symbol="BTCUSD", settle_coin=None)
    assert inv["tradeMode"] == 0
    assert inv["side"] == inverse_side
    sim.open_position("BTCUSDT", side="Sell", size="0.01")
    (opened,) = sim.backend.position_rows(category="linear", symbol="BTCUSDT", settle_coin=None)
    assert (opened["side"], opened["size"]) == ("Sell", "0.01")


def test_reset_restores_constructor_state() -> None:
    sim = make("uta2")
    sim.set_account_margin_mode("ISOLATED_MARGIN")
    sim.open_position("BTCUSDT", size="0.01")
    sim.inject_fault(path="/v5/market/time", ret_code=10016)
    sim.reset()
    assert sim.account_margin_mode == "REGULAR_MARGIN"
    assert sim.symbol_state("BTCUSDT")["position_size"] == "0"
    assert sim.faults == []
    assert sim.journal == []


@pytest.mark.parametrize(
    ("knob", "mode", "expected"),
    [
        ("refuse", "REGULAR_MARGIN", 110073),
        ("refuse", "ISOLATED_MARGIN", 110073),
        ("refuse", "PORTFOLIO_MARGIN", 110073),
        ("usdc_docs", "REGULAR_MARGIN", 0),
        ("usdc_docs", "PORTFOLIO_MARGIN", 110073),
        ("usdc_docs", "ISOLATED_MARGIN", 110073),
    ],
)
def test_classic_set_margin_mode_knob(knob: str, mode: str, expected: int) -> None:
    # default "refuse": a live mainnet Classic test expected 110073 for REGULAR_MARGIN;
    # "usdc_docs": set-margin-mode.mdx 2023-09..2024-08 allowed REGULAR/PORTFOLIO (USDC only)
    sim = make("classic", knobs=SimKnobs(classic_set_margin_mode=knob))  # type: ignore[arg-type]
    if expected:
        with pytest.raises(SimulatorApiError) as err:
            sim.backend.set_margin_mode(mode=mode)
        assert code_of(err) == expected
    else:
        assert sim.backend.set_margin_mode(mode=mode) == {"reasons": []}
    assert sim.account_margin_mode == "REGULAR_MARGIN"
    assert sim.backend.account_info()["marginMode"] == "REGULAR_MARGIN"
    assert SimKnobs().classic_set_margin_mode == "refuse"


def test_same_margin_mode_knob_refuses_with_its_code() -> None:
    sim = make("uta2", knobs=SimKnobs(same_margin_mode_ret_code=110073))
    with pytest.raises(SimulatorApiError) as err:
        sim.backend.set_margin_mode(mode="REGULAR_MARGIN")
    assert code_of(err) == 110073


def test_symbol_info_reads_leverage_without_position() -> None:
    sim = make("uta2")
    sim.set_symbol("ETHUSDT", leverage="4.5")
    (row,) = sim.backend.symbol_info(category="linear", symbol="ETHUSDT")
    assert (row["symbol"], row["leverage"], row["positionIdx"]) == ("ETHUSDT", "4.5", 0)
    rows = sim.backend.symbol_info(category="inverse", symbol=None)
    assert {r["symbol"] for r in rows} == {"BTCUSD", "ETHUSD"}


def test_account_type_accepts_strings_and_enum() -> None:
    from freqtrade_bybit_margin.constants import AccountType

    assert make("uta1").account_type is AccountType.UTA1
    assert make(AccountType.UTA2).account_type == "uta2"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="account_type 'uta3' is not one of classic, uta1, uta2"):
        make("uta3")
    with pytest.raises(ValueError, match="account margin mode 'CROSS' is not one of"):
        make("uta2", account_margin_mode="CROSS")
