"""Live maximum leverage (110013, Bybit lowering it itself) and the paged risk-limit list,
through ``dispatch``."""

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import BybitSimulator, SimKnobs

from .helpers import FakeClock, body, get, leverage_body, post


SWITCH = {"category": "linear", "symbol": "BTCUSDT", "tradeMode": 1}


def switch_body(lev: str, symbol: str = "BTCUSDT") -> dict[str, object]:
    return SWITCH | {"symbol": symbol, "buyLeverage": lev, "sellLeverage": lev}


def max_leverage_of(sim: BybitSimulator, symbol: str) -> str:
    params = {"category": "linear", "symbol": symbol}
    (row,) = body(get(sim, Endpoint.INSTRUMENTS_INFO, params, signed=False))["result"]["list"]
    return str(row["leverageFilter"]["maxLeverage"])


def tiers_of(sim: BybitSimulator, symbol: str) -> list[dict]:
    params = {"category": "linear", "symbol": symbol}
    return list(body(get(sim, Endpoint.RISK_LIMIT, params, signed=False))["result"]["list"])


def walk_risk_limit(sim: BybitSimulator) -> tuple[list[dict], int]:
    """Follow ``nextPageCursor`` as ccxt does; returns the rows and the number of pages."""
    rows, cursor, pages = [], "", 0
    while True:
        params = {"category": "linear"} | ({"cursor": cursor} if cursor else {})
        result = body(get(sim, Endpoint.RISK_LIMIT, params, signed=False))["result"]
        rows += result["list"]
        pages += 1
        cursor = result["nextPageCursor"]
        if not cursor:
            return rows, pages


# ------------------------------------------------------------------ 110013


@pytest.mark.parametrize(
    ("account_type", "path", "make_body"),
    [
        ("classic", Endpoint.SET_LEVERAGE, leverage_body),
        ("classic", Endpoint.SWITCH_ISOLATED, switch_body),
        ("uta2", Endpoint.SET_LEVERAGE, leverage_body),
    ],
)
def test_above_the_instrument_maximum_is_110013_with_values_x100(
    clock: FakeClock, account_type: str, path: str, make_body
) -> None:
    # reference bybit-v5-margin.md, "Corrections and additions (2026-12-02)": retCode 110013
    # "cannot set leverage [X*100] gt maxLeverage [Y*100] by risk limit", also when the
    # instrument maximum is exceeded
    sim = BybitSimulator(account_type, clock=clock)
    data = body(post(sim, path, make_body("150")))
    assert (data["retCode"], data["retMsg"]) == (
        RetCode.LEVERAGE_RISK_LIMIT,
        "cannot set leverage [15000] gt maxLeverage [10000] by risk limit",
    )
    assert sim.symbol_state("BTCUSDT")["leverage"] == "10"


@pytest.mark.parametrize("lev", ["0.5", "2.555", "abc", "0"])
def test_malformed_below_one_or_off_step_stays_10001(clock: FakeClock, lev: str) -> None:
    sim = BybitSimulator(clock=clock)
    data = body(post(sim, Endpoint.SET_LEVERAGE, leverage_body(lev)))
    assert data["retCode"] == RetCode.PARAMS_ERROR


def test_lowered_maximum_reaches_every_reader(clock: FakeClock) -> None:
    # Bybit lowers maxima itself since auto risk limits (2024-03-12, reference 2026-12-02)
    sim = BybitSimulator("uta2", clock=clock)
    assert max_leverage_of(sim, "SOLUSDT") == "50.00"
    sim.set_max_leverage("SOLUSDT", "25")
    assert max_leverage_of(sim, "SOLUSDT") == "25.00"
    tiers = tiers_of(sim, "SOLUSDT")
    assert tiers[0]["maxLeverage"] == "25.00"  # tiers agree with the lowered maximum
    assert all(float(t["maxLeverage"]) <= 25 for t in tiers)
    refused = body(post(sim, Endpoint.SET_LEVERAGE, leverage_body("30", "SOLUSDT")))
    assert (refused["retCode"], refused["retMsg"]) == (
        110013,
        "cannot set leverage [3000] gt maxLeverage [2500] by risk limit",
    )
    ok = body(post(sim, Endpoint.SET_LEVERAGE, leverage_body("25", "SOLUSDT")))
    assert ok["retCode"] == 0
    assert sim.symbol_state("SOLUSDT")["max_leverage"] == "25"


def position_row(sim: BybitSimulator, symbol: str) -> dict:
    params = {"category": "linear", "symbol": symbol}
    (row,) = body(get(sim, Endpoint.POSITION_LIST, params))["result"]["list"]
    return dict(row)


def test_forced_cut_lowers_position_and_stamps_leverage_sys_updated_time(
    clock: FakeClock,
) -> None:
    # position.mdx: leverageSysUpdatedTime "the timestamp when the leverage had been adjusted
    # by system", "" by default; isReduceOnly false after the adjustment
    sim = BybitSimulator("uta2", clock=clock, account_margin_mode="ISOLATED_MARGIN")
    sim.open_position("ETHUSDT", side="Buy", size="0.5", leverage="40")
    before = position_row(sim, "ETHUSDT")
    assert (before["leverageSysUpdatedTime"], before["isReduceOnly"]) == ("", False)
    sim.set_max_leverage("ETHUSDT", "20", force=True)
    after = position_row(sim, "ETHUSDT")
    assert (after["leverage"], after["leverageSysUpdatedTime"], after["isReduceOnly"]) == (
        "20",
        str(clock.now),
        False,
    )
    symbol_info = get(
        sim, Endpoint.POSITION_SYMBOL_INFO, {"category": "linear", "symbol": "ETHUSDT"}
    )
    assert body(symbol_info)["result"]["list"][0]["leverage"] == "20"


def test_announced_cut_marks_reduce_only_then_applies(clock: FakeClock) -> None:
    # position.mdx: "When isReduceOnly=true: the timestamp (ms) when the leverage will be
    # forcibly adjusted by the system"
    sim = BybitSimulator("uta2", clock=clock)
    sim.open_position("ETHUSDT", side="Sell", size="0.5", leverage="50")
    sim.set_max_leverage("ETHUSDT", "25", force=True, grace_ms=60_000)
    due = clock.now + 60_000
    pending = position_row(sim, "ETHUSDT")
    assert (pending["leverage"], pending["isReduceOnly"]) == ("50", True)
    assert pending["leverageSysUpdatedTime"] == str(due)
    clock.advance(60_000)
    done = position_row(sim, "ETHUSDT")
    assert (done["leverage"], done["isReduceOnly"], done["leverageSysUpdatedTime"]) == (
        "25",
        False,
        str(due),
    )


def test_without_force_a_position_keeps_its_leverage(clock: FakeClock) -> None:
    sim = BybitSimulator("uta2", clock=clock)
    sim.open_position("ETHUSDT", side="Buy", size="0.5", leverage="40")
    sim.set_max_leverage("ETHUSDT", "20")
    row = position_row(sim, "ETHUSDT")
    assert (row["leverage"], row["leverageSysUpdatedTime"]) == ("40", "")


@pytest.mark.parametrize("value", ["0.5", "12.345", "0", "-3"])
def test_set_max_leverage_checks_its_value(clock: FakeClock, value: str) -> None:
    sim = BybitSimulator(clock=clock)
    with pytest.raises(ValueError, match="is not allowed; allowed"):
        sim.set_max_leverage("BTCUSDT", value)
    assert max_leverage_of(sim, "BTCUSDT") == "100.00"


# ------------------------------------------------------------------ risk-limit pages


def test_risk_limit_pages_fifteen_symbols_alphabetically(clock: FakeClock) -> None:
    # 15 symbols per response since 2024-12-12 (reference 2026-12-02)
    sim = BybitSimulator(clock=clock, extra_linear_symbols=30)
    first = body(get(sim, Endpoint.RISK_LIMIT, {"category": "linear"}, signed=False))["result"]
    symbols = list(dict.fromkeys(r["symbol"] for r in first["list"]))
    assert len(symbols) == 15
    assert symbols == sorted(symbols)
    assert first["nextPageCursor"]
    rows, pages = walk_risk_limit(sim)
    assert pages == 3  # 9 default + 30 generated linear symbols
    assert len({r["symbol"] for r in rows}) == 39


def test_symbol_query_answers_one_symbol(clock: FakeClock) -> None:
    sim = BybitSimulator(clock=clock, extra_linear_symbols=30)
    result = body(get(sim, Endpoint.RISK_LIMIT, {"category": "linear", "symbol": "XRPUSDT"}))
    assert {r["symbol"] for r in result["result"]["list"]} == {"XRPUSDT"}
    assert result["result"]["nextPageCursor"] == ""


def test_truncated_walk_leaves_late_symbols_without_tiers(clock: FakeClock) -> None:
    # ccxt releases that stopped paging early (ccxt issue 29721): late-alphabet pairs get no
    # tiers from the walk, while ?symbol=X still answers them
    knobs = SimKnobs(risk_limit_max_pages=1, risk_limit_symbols_omitted=("ADAUSDT",))
    sim = BybitSimulator(clock=clock, extra_linear_symbols=30, knobs=knobs)
    rows, pages = walk_risk_limit(sim)
    walked = {r["symbol"] for r in rows}
    assert pages == 1
    assert len(walked) == 15
    assert "ADAUSDT" not in walked
    assert "XRPUSDT" not in walked  # late in the alphabet
    assert tiers_of(sim, "XRPUSDT")[0]["maxLeverage"] == "50.00"
    assert tiers_of(sim, "ADAUSDT")[0]["symbol"] == "ADAUSDT"
