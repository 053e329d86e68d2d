"""The ``switch_margin_mode`` extension: exact request, answers, checks before any request."""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from decimal import Decimal
from typing import Any

import ccxt
import pytest
import requests_mock

from freqtrade_bybit_margin import install
from freqtrade_bybit_margin.markets import contract_of, format_leverage, serves_switch_isolated
from freqtrade_bybit_margin.model import AccountType
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.bybit_markets import API_KEY, API_SECRET, async_bybit, sync_bybit
from tests.signing import expected_signature
from tests.sim_clients import sim_client


SWITCH_URL = "https://api.bybit.com/v5/position/switch-isolated"
LEVERAGE_URL = "https://api.bybit.com/v5/position/set-leverage"


def envelope(ret_code: int = 0, ret_msg: str = "OK", result: Any = None) -> dict[str, Any]:
    return {
        "retCode": ret_code,
        "retMsg": ret_msg,
        "result": {} if result is None else result,
        "retExtInfo": {},
        "time": 1700000000000,
    }


@pytest.fixture
def wire() -> requests_mock.Adapter:
    return requests_mock.Adapter()


def exchange_on(account: AccountType, adapter: requests_mock.Adapter) -> Any:
    exchange = install(sync_bybit(account))
    exchange.session.mount("https://", adapter)
    return exchange


@pytest.fixture
def classic(wire: requests_mock.Adapter) -> Any:
    wire.register_uri("POST", SWITCH_URL, json=envelope())
    return exchange_on(AccountType.CLASSIC, wire)


def expected_sign(request: Any) -> str:
    """Bybit V5: HMAC-SHA256(secret, timestamp + key + recv_window + raw body), lower hex."""
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    return expected_signature(request.headers, body, API_SECRET)


def test_sends_exactly_one_signed_switch_isolated_request(classic: Any, wire: Any) -> None:
    result = classic.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})

    assert len(wire.request_history) == 1
    request = wire.request_history[0]
    assert request.method == "POST"
    assert request.url == SWITCH_URL
    assert json.loads(request.body) == {
        "category": "linear",
        "symbol": "ETHUSDT",
        "tradeMode": 1,
        "buyLeverage": "10",
        "sellLeverage": "10",
    }
    assert request.headers["X-BAPI-API-KEY"] == API_KEY
    assert request.headers["X-BAPI-SIGN"] == expected_sign(request)
    assert result == {
        "info": envelope(),
        "symbol": "ETH/USDT:USDT",
        "marginMode": "isolated",
        "longLeverage": 10.0,
        "shortLeverage": 10.0,
        "changed": True,
        "marginModeChanged": True,
        "leverageChanged": True,
    }


def test_camel_case_twin_and_cross_mode(classic: Any, wire: Any) -> None:
    classic.switchMarginMode("cross", "BTC/USDT:USDT", {"buyLeverage": "2.5", "sellLeverage": 2.5})
    body = json.loads(wire.last_request.body)
    assert body["tradeMode"] == 0
    assert body["buyLeverage"] == body["sellLeverage"] == "2.5"


def test_other_params_pass_through(classic: Any, wire: Any) -> None:
    classic.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 3, "positionIdx": 0})
    assert json.loads(wire.last_request.body)["positionIdx"] == 0


def test_params_are_not_mutated(classic: Any) -> None:
    params = {"leverage": 3}
    classic.switch_margin_mode("isolated", "ETH/USDT:USDT", params)
    assert params == {"leverage": 3}


def test_inverse_market_uses_inverse_category(classic: Any, wire: Any) -> None:
    classic.switch_margin_mode("isolated", "BTC/USD:BTC", {"leverage": 5})
    body = json.loads(wire.last_request.body)
    assert (body["category"], body["symbol"]) == ("inverse", "BTCUSD")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, "10"),
        (2.5, "2.5"),
        ("12.340", "12.34"),
        (Decimal("7.00"), "7"),
        (0.1 + 2.9, "3"),  # float noise: 3.0000000000000004 -> rounded by str(), never sent raw
        ("1", "1"),
        (33.33, "33.33"),
    ],
)
def test_leverage_strings_carry_no_float_noise(
    classic: Any, wire: Any, value: Any, expected: str
) -> None:
    classic.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": value})
    body = json.loads(wire.last_request.body)
    assert body["buyLeverage"] == body["sellLeverage"] == expected


def test_format_leverage_has_no_exponent() -> None:
    assert format_leverage(Decimal("1E+1")) == "10"
    assert format_leverage(Decimal("100.00")) == "100"


def test_110026_sets_the_leverage_bybit_kept_and_says_what_changed(wire: Any) -> None:
    """110026 leaves the leverage as it was (ccxt issue 13046): it is set on its own, so the
    result describes what holds afterwards."""
    wire.register_uri("POST", SWITCH_URL, json=envelope(110026, "margin mode is not modified"))
    wire.register_uri("POST", LEVERAGE_URL, json=envelope())
    exchange = exchange_on(AccountType.CLASSIC, wire)

    result = exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": "12.340"})

    assert (result["changed"], result["marginModeChanged"], result["leverageChanged"]) == (
        True,
        False,
        True,
    )
    assert result["longLeverage"] == result["shortLeverage"] == 12.34
    assert result["symbol"] == "ETH/USDT:USDT"
    assert [r.path for r in wire.request_history] == [
        "/v5/position/switch-isolated",
        "/v5/position/set-leverage",
    ]
    assert json.loads(wire.request_history[1].body) == {
        "category": "linear",
        "symbol": "ETHUSDT",
        "buyLeverage": "12.34",
        "sellLeverage": "12.34",
    }


def test_110026_then_110043_is_unchanged(wire: Any) -> None:
    wire.register_uri("POST", SWITCH_URL, json=envelope(110026, "not modified"))
    wire.register_uri("POST", LEVERAGE_URL, json=envelope(110043, "leverage not modified"))
    exchange = exchange_on(AccountType.CLASSIC, wire)

    result = exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})

    assert result["changed"] is False
    assert result["info"]["retCode"] == 110043
    assert len(wire.request_history) == 2


@pytest.mark.parametrize(
    "body",
    [
        "<html><body>502 Bad Gateway</body></html>",
        "",
        '{"retCode":0,"retMsg":"OK","res',
        '{"retMsg":"OK","result":{}}',
    ],
    ids=["html", "empty", "truncated", "no-retcode"],
)
def test_a_garbled_200_answer_is_never_a_success(wire: Any, body: str) -> None:
    """ccxt returns a non-JSON body as a plain string; it raises ExchangeError itself only for a
    JSON object without retCode. Either way: an exception, never a result."""
    wire.register_uri("POST", SWITCH_URL, text=body, status_code=200)
    exchange = exchange_on(AccountType.CLASSIC, wire)
    with pytest.raises((ccxt.BadResponse, ccxt.ExchangeError)):
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})


def test_leverage_contradicting_buy_and_sell_leverage_is_refused(classic: Any, wire: Any) -> None:
    with pytest.raises(ccxt.BadRequest, match="leverage=5 contradicts buyLeverage=3"):
        classic.switch_margin_mode(
            "isolated", "ETH/USDT:USDT", {"leverage": 5, "buyLeverage": 3, "sellLeverage": 3}
        )
    result = classic.switch_margin_mode(
        "isolated", "ETH/USDT:USDT", {"leverage": 3, "buyLeverage": "3.0", "sellLeverage": 3}
    )
    assert result["longLeverage"] == 3.0
    assert len(wire.request_history) == 1


def test_100028_from_bybit_is_not_supported_naming_the_alternative(wire: Any) -> None:
    wire.register_uri("POST", SWITCH_URL, json=envelope(100028, "unified account is forbidden"))
    exchange = exchange_on(AccountType.CLASSIC, wire)
    with pytest.raises(ccxt.NotSupported, match="set-margin-mode") as caught:
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})
    assert "Classic" in str(caught.value)


@pytest.mark.parametrize(
    ("ret_code", "error"),
    [
        (10006, ccxt.RateLimitExceeded),
        (10003, ccxt.AuthenticationError),
        (10004, ccxt.AuthenticationError),
        (10002, ccxt.InvalidNonce),
        (10001, ccxt.BadRequest),
    ],
)
def test_other_exchange_errors_keep_ccxt_classes(wire: Any, ret_code: int, error: type) -> None:
    wire.register_uri("POST", SWITCH_URL, json=envelope(ret_code, "nope"))
    exchange = exchange_on(AccountType.CLASSIC, wire)
    with pytest.raises(error):
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})


def test_network_errors_keep_ccxt_classes(wire: Any) -> None:
    wire.register_uri(
        "POST", SWITCH_URL, status_code=503, reason="Service Unavailable", text="down"
    )
    exchange = exchange_on(AccountType.CLASSIC, wire)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})


@pytest.mark.parametrize(
    ("mode", "symbol", "params", "error", "words"),
    [
        ("portfolio", "ETH/USDT:USDT", {"leverage": 3}, ccxt.BadRequest, ["'portfolio'", "cross"]),
        ("", "ETH/USDT:USDT", {"leverage": 3}, ccxt.BadRequest, ["''", "isolated"]),
        (None, "ETH/USDT:USDT", {"leverage": 3}, ccxt.BadRequest, ["None"]),
        (1, "ETH/USDT:USDT", {"leverage": 3}, ccxt.BadRequest, ["marginMode=1"]),
        ("isolated", "NOPE/USDT:USDT", {"leverage": 3}, ccxt.BadSymbol, ["NOPE/USDT:USDT"]),
        ("isolated", "BTC/USDT", {"leverage": 3}, ccxt.NotSupported, ["BTC/USDT", "spot"]),
        ("isolated", "BTC/USDC:USDC", {"leverage": 3}, ccxt.NotSupported, ["USDC-settled"]),
        ("isolated", "ETH/USDT:USDT", {}, ccxt.ArgumentsRequired, ["ETH/USDT:USDT", "leverage"]),
        ("isolated", "ETH/USDT:USDT", None, ccxt.ArgumentsRequired, ["leverage"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": "abc"}, ccxt.BadRequest, ["'abc'"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": float("nan")}, ccxt.BadRequest, ["nan"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": float("inf")}, ccxt.BadRequest, ["inf"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": True}, ccxt.BadRequest, ["True"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": 0}, ccxt.BadRequest, ["0", "1 to 50"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": -3}, ccxt.BadRequest, ["-3", "1 to 50"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": 0.5}, ccxt.BadRequest, ["0.5", "1 to 50"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": 51}, ccxt.BadRequest, ["51", "1 to 50"]),
        ("isolated", "ETH/USDT:USDT", {"leverage": 2.005}, ccxt.BadRequest, ["2.005", "0.01"]),
        (
            "isolated",
            "ETH/USDT:USDT",
            {"buyLeverage": 3, "sellLeverage": 4},
            ccxt.BadRequest,
            ["buyLeverage=3", "sellLeverage=4"],
        ),
        ("isolated", "ETH/USDT:USDT", {"buyLeverage": 3}, ccxt.BadRequest, ["sellLeverage=None"]),
        (
            "isolated",
            "ETH/USDT:USDT",
            {"leverage": 3, "symbol": "BTCUSDT"},
            ccxt.BadRequest,
            ["symbol"],
        ),
    ],
)
def test_bad_input_raises_before_any_request(
    classic: Any, wire: Any, mode: Any, symbol: Any, params: Any, error: type, words: list[str]
) -> None:
    with pytest.raises(error) as caught:
        classic.switch_margin_mode(mode, symbol, params)
    assert type(caught.value) is error
    for word in words:
        assert word in str(caught.value)
    assert wire.request_history == []


@pytest.mark.parametrize(
    ("account", "symbol", "served"),
    [
        (AccountType.CLASSIC, "ETH/USDT:USDT", True),
        (AccountType.CLASSIC, "BTC/USD:BTC", True),
        (AccountType.UTA1, "ETH/USDT:USDT", False),
        (AccountType.UTA1, "BTC/USD:BTC", True),
        (AccountType.UTA2, "ETH/USDT:USDT", False),
        (AccountType.UTA2, "BTC/USD:BTC", False),
        (AccountType.CLASSIC, "BTC/USDC:USDC", False),
        (AccountType.UTA2, "BTC/USDC:USDC", False),
    ],
)
def test_account_type_by_category_matrix(
    wire: Any, account: AccountType, symbol: str, served: bool
) -> None:
    wire.register_uri("POST", SWITCH_URL, json=envelope())
    exchange = exchange_on(account, wire)
    if served:
        assert exchange.switch_margin_mode("isolated", symbol, {"leverage": 5})["changed"]
        assert len(wire.request_history) == 1
    else:
        with pytest.raises(ccxt.NotSupported) as caught:
            exchange.switch_margin_mode("isolated", symbol, {"leverage": 5})
        assert account.label in str(caught.value)
        assert "set-margin-mode" in str(caught.value)
        assert "set-leverage" in str(caught.value)
        assert wire.request_history == []
    assert serves_switch_isolated(account, contract_of(exchange.market(symbol))) is served


def test_account_probe_runs_through_ccxt_when_not_cached(wire: Any) -> None:
    """No cached probe: ccxt's own is_unified_enabled asks query-api + account/info once."""
    wire.register_uri(
        "GET", "https://api.bybit.com/v5/user/query-api", json=envelope(result={"uta": 1})
    )
    wire.register_uri(
        "GET",
        "https://api.bybit.com/v5/account/info",
        json=envelope(result={"unifiedMarginStatus": 6, "marginMode": "REGULAR_MARGIN"}),
    )
    exchange = install(sync_bybit(AccountType.CLASSIC))
    for key in ("enableUnifiedMargin", "enableUnifiedAccount", "unifiedMarginStatus"):
        exchange.options.pop(key)
    exchange.session.mount("https://", wire)
    with pytest.raises(ccxt.NotSupported, match=r"UTA2\.0"):
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 5})
    with pytest.raises(ccxt.NotSupported, match=r"UTA2\.0"):
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 5})
    paths = [request.path for request in wire.request_history]
    assert sorted(paths) == ["/v5/account/info", "/v5/user/query-api"]


def test_install_is_idempotent_and_returns_the_instance(classic: Any, wire: Any) -> None:
    assert install(classic) is classic
    assert install(classic) is classic

    snake = classic.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 5})
    camel = classic.switchMarginMode("isolated", "ETH/USDT:USDT", {"leverage": 5})

    assert snake == camel
    assert [r.path for r in wire.request_history] == ["/v5/position/switch-isolated"] * 2


@pytest.mark.parametrize("other", [ccxt.binance(), object(), None])
def test_install_refuses_other_exchanges(other: Any) -> None:
    with pytest.raises(TypeError, match="bybit"):
        install(other)


def test_secret_never_appears_in_errors_or_logs(
    wire: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wire.register_uri("POST", SWITCH_URL, json=envelope(10004, "error sign!"))
    exchange = exchange_on(AccountType.CLASSIC, wire)
    with pytest.raises(ccxt.AuthenticationError) as caught:
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 10})
    with pytest.raises(ccxt.BadRequest) as bad:
        exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 1000})
    assert API_SECRET not in str(caught.value)
    assert API_SECRET not in str(bad.value)
    assert API_SECRET not in caplog.text


@pytest.mark.parametrize(
    ("modules", "absent"),
    [
        # the package root, its simulator and the pytest plugin (loaded in every pytest run of
        # anyone who installs the package): vocabulary only
        (
            "freqtrade_bybit_margin, freqtrade_bybit_margin.simulator.pytest_plugin, "
            "freqtrade_bybit_margin.compat",
            ("ccxt", "freqtrade", "requests_mock", "aiohttp", "rich"),
        ),
        # the service: ccxt's sync client, no freqtrade
        ("freqtrade_bybit_margin.service", ("freqtrade", "requests_mock", "aiohttp")),
    ],
)
def test_importing_the_package_stays_light(modules: str, absent: tuple[str, ...]) -> None:
    code = f"import sys, {modules}; print(sorted(m for m in {absent!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_install_on_an_async_instance_binds_the_awaitable() -> None:
    exchange = install(async_bybit(AccountType.CLASSIC))
    assert inspect.iscoroutinefunction(exchange.switch_margin_mode)
    assert inspect.iscoroutinefunction(exchange.switchMarginMode)


@pytest.mark.parametrize("start", ["3", "12.34"])
def test_the_result_matches_the_simulators_state_when_the_mode_already_holds(start: str) -> None:
    """Isolated at another leverage: Bybit answers 110026 and keeps the leverage; the result
    still describes what holds afterwards (issue 11)."""
    sim = BybitSimulator(account_type="classic")
    sim.set_symbol("ETHUSDT", trade_mode=1, leverage=start)
    exchange = install(sim_client(sim, types=("linear",)))

    result = exchange.switch_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": "12.340"})

    state = sim.symbol_state("ETHUSDT")
    assert result["symbol"] == "ETH/USDT:USDT"
    assert result["marginMode"] == "isolated"
    assert state["trade_mode"] == 1
    assert result["longLeverage"] == result["shortLeverage"] == float(state["leverage"]) == 12.34
    assert result["marginModeChanged"] is False
    assert result["leverageChanged"] is (start != "12.34")
    codes = [e.ret_code for e in sim.journal if e.method == "POST"]
    assert codes == [110026, 0 if start != "12.34" else 110043]
