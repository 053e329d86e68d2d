"""The ``bybit_margin`` section: schema, defaults, overrides, consistency, market limits."""

from typing import Any

import pytest

from freqtrade_bybit_margin.config import (
    MARGIN_SCHEMA,
    Enablement,
    MarginSettings,
    OnFailure,
    check_leverage_limits,
    check_pair_keys,
    enablement,
    load_settings,
)
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.model import MarginMode, PairTarget


BASE: dict[str, Any] = {
    "exchange": {"name": "bybit"},
    "trading_mode": "futures",
    "margin_mode": "isolated",
}


def conf(section: Any = None, **top: Any) -> dict[str, Any]:
    """A minimal freqtrade config, optionally with a ``bybit_margin`` section."""
    config: dict[str, Any] = {**BASE, **top}
    if section is not None:
        config["bybit_margin"] = section
    return config


def market(low: Any = 1, high: Any = 100, step: str | None = "0.01") -> dict[str, Any]:
    """The parts of a ccxt Bybit market that the leverage check reads."""
    info = {"leverageFilter": {"leverageStep": step}} if step is not None else {}
    return {"limits": {"leverage": {"min": low, "max": high}}, "info": info}


def test_defaults() -> None:
    settings = load_settings(conf())
    assert settings == MarginSettings(
        margin_mode=MarginMode.ISOLATED,
        leverage=1.0,
        pair_leverage=(),
        on_failure=OnFailure.BLOCK,
        verify_interval=60.0,
    )


def test_issue_example() -> None:
    section = {
        "margin_mode": "isolated",
        "leverage": 3,
        "pair_leverage": {"BTC/USDT:USDT": 5, "ETH/.*": 4},
        "on_failure": "block",
    }
    settings = load_settings(conf(section))
    assert settings.leverage == 3.0
    assert settings.pair_leverage == (("BTC/USDT:USDT", 5.0), ("ETH/.*", 4.0))
    assert settings.target_for("ETH/USDT:USDT") == PairTarget(
        "ETH/USDT:USDT", MarginMode.ISOLATED, 4.0
    )


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("BTC/USDT:USDT", 7.0),  # exact name wins over an earlier pattern that matches too
        ("ETH/USDT:USDT", 4.0),  # first matching pattern in the order written
        ("ETHFI/USDT:USDT", 4.0),
        ("SOL/USDT:USDT", 2.0),  # second pattern
        ("XSOL/USDT:USDT", 3.0),  # full match only: ".*SOL/" is not written, so default
        ("DOGE/USDT:USDT", 3.0),  # default
    ],
)
def test_exact_names_before_patterns_in_written_order(pair: str, expected: float) -> None:
    section = {
        "leverage": 3,
        "pair_leverage": {"B.*": 9, "ETH.*": 4, "SOL/.*": 2, "E.*": 8, "BTC/USDT:USDT": 7},
    }
    assert load_settings(conf(section)).leverage_for(pair) == expected


def test_strategy_attribute_overridden_key_by_key() -> None:
    strategy = {"leverage": 2, "on_failure": "warn", "pair_leverage": {"BTC/.*": 10}}
    settings = load_settings(conf({"leverage": 5}), strategy_defaults=strategy)
    assert settings.leverage == 5.0  # from the config section
    assert settings.on_failure is OnFailure.WARN  # from the strategy attribute
    assert settings.leverage_for("BTC/USDT:USDT") == 10.0


def test_strategy_attribute_alone() -> None:
    settings = load_settings(conf(), strategy_defaults={"leverage": 4})
    assert settings.leverage == 4.0


def test_config_is_not_modified() -> None:
    config = conf({"leverage": 2})
    load_settings(config, strategy_defaults={"on_failure": "warn"})
    assert config["bybit_margin"] == {"leverage": 2}


def test_schema_has_descriptions() -> None:
    assert all("description" in prop for prop in MARGIN_SCHEMA["properties"].values())


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"leverage": 0.5}, "bybit_margin.leverage: 0.5 (in the config) is not allowed; "
         "allowed: a finite number from 1 to 200."),
        ({"leverage": "3"}, "bybit_margin.leverage: '3' (in the config) is not allowed; "
         "allowed: a number."),
        ({"leverage": True}, "bybit_margin.leverage: True"),
        ({"on_failure": "ignore"}, "bybit_margin.on_failure: 'ignore' (in the config) is not "
         "allowed; allowed: one of 'block', 'warn'."),
        ({"margin_mode": "portfolio"}, "bybit_margin.margin_mode: 'portfolio' (in the config) "
         "is not allowed; allowed: one of 'isolated', 'cross'."),
        ({"pair_leverage": {"BTC/USDT:USDT": 0}}, "bybit_margin.pair_leverage['BTC/USDT:USDT']: "
         "0 (in the config) is not allowed; allowed: a finite number from 1 to 200."),
        ({"pair_leverage": ["BTC/USDT:USDT"]}, "bybit_margin.pair_leverage: ['BTC/USDT:USDT'] "
         "(in the config) is not allowed; allowed: an object."),
        ({"pair_leverage": {"": 2}}, "bybit_margin.pair_leverage: '' (in the config) is not "
         "allowed; allowed: a non-empty pair name or regular expression."),
        ({"pair_leverage": {"ETH/(USDT": 2}}, "bybit_margin.pair_leverage: key 'ETH/(USDT' (in "
         "the config) is not a valid regular expression"),
        (["leverage", 3], "bybit_margin: ['leverage', 3] (in the config) is not allowed; "
         "allowed: an object."),
    ],
)  # fmt: skip
def test_invalid_section(section: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf(section))
    assert str(err.value).startswith(expected)


@pytest.mark.parametrize(
    ("unknown", "hint"),
    [
        ("leverge", "Did you mean 'leverage'?"),
        ("pairs_leverage", "Did you mean 'pair_leverage'?"),
        ("onfailure", "Did you mean 'on_failure'?"),
        ("margin", "Did you mean 'margin_mode'?"),
    ],
)
def test_unknown_key_did_you_mean(unknown: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf({unknown: 3}))
    message = str(err.value)
    assert message.startswith(f"bybit_margin: unknown key {unknown!r} (in the config); ")
    assert (
        "allowed keys: 'enabled', 'margin_mode', 'leverage', 'pair_leverage', 'on_failure', "
        "'verify_interval', 'entry_check', 'entry_check_max_age', 'over_max', 'fill_tiers'."
        in message
    )
    assert message.endswith(hint)


def test_unknown_key_without_close_match() -> None:
    with pytest.raises(ConfigError, match="unknown key 'zzz'") as err:
        load_settings(conf({"zzz": 1}))
    assert "Did you mean" not in str(err.value)


def test_error_in_strategy_attribute_says_so() -> None:
    with pytest.raises(ConfigError, match=r"leverage: 0 \(in the strategy attribute\)"):
        load_settings(conf(), strategy_defaults={"leverage": 0})


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"exchange": {"name": "binance"}}, "exchange.name: 'binance' cannot be used with a "
         "bybit_margin section; allowed: 'bybit'."),
        ({"trading_mode": "spot"}, "trading_mode: 'spot' cannot be used with a bybit_margin "
         "section (margin mode and leverage exist only for futures); allowed: 'futures'."),
        ({"margin_mode": ""}, "margin_mode: '' (freqtrade's top-level setting) is not usable "
         "with a bybit_margin section; allowed: 'isolated'"),
    ],
)  # fmt: skip
def test_consistency_errors(top: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf({"leverage": 2}, **top))
    assert str(err.value).startswith(expected)


def test_margin_mode_must_equal_freqtrades_and_says_why() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf({"margin_mode": "cross"}))
    message = str(err.value)
    assert message.startswith(
        "bybit_margin.margin_mode: 'cross' differs from freqtrade's margin_mode 'isolated'; "
        "allowed: 'isolated' (or leave it out)."
    )
    assert "before every entry order" in message
    assert "only isolated futures on Bybit" in message


def test_margin_mode_defaults_to_freqtrades() -> None:
    assert load_settings(conf()).margin_mode is MarginMode.ISOLATED
    assert load_settings(conf({"margin_mode": "isolated"})).margin_mode is MarginMode.ISOLATED


@pytest.mark.parametrize("section", [None, {"leverage": 2}, {"margin_mode": "cross"}])
def test_freqtrades_cross_is_refused_with_freqtrades_reason(section: Any) -> None:
    """freqtrade trades only isolated futures on Bybit: a plan for cross would be a lie, and
    apply would switch a unified account to cross for a bot that cannot start."""
    with pytest.raises(ConfigError) as err:
        load_settings(conf(section, margin_mode="cross"))
    message = str(err.value)
    assert message.startswith(
        "margin_mode: 'cross' (freqtrade's top-level setting) is not usable with a bybit_margin "
        "section; allowed: 'isolated'."
    )
    assert "Freqtrade does not support 'cross' 'futures' on Bybit." in message


@pytest.mark.parametrize(
    ("leverage", "mkt"),
    [
        (1, market()),
        (100, market()),
        (12.5, market()),
        (3, market(step=None)),  # no leverageFilter in info
        (50, market(high=None)),  # no upper limit known
        (7, market(low=None, high=None, step="1")),
    ],
)
def test_leverage_within_market_limits(leverage: float, mkt: dict[str, Any]) -> None:
    settings = load_settings(conf({"leverage": leverage}))
    check_leverage_limits(settings, ["BTC/USDT:USDT"], {"BTC/USDT:USDT": mkt})


@pytest.mark.parametrize(
    ("leverage", "mkt", "expected"),
    [
        (101, market(), "leverage 101 for BTC/USDT:USDT is not allowed by its market; "
         "allowed: 1 to 100 in steps of 0.01."),
        (1.005, market(), "leverage 1.005 for BTC/USDT:USDT is not allowed by its market; "
         "allowed: 1 to 100 in steps of 0.01."),
        (2.5, market(step="1", high="25.00"), "leverage 2.5 for BTC/USDT:USDT is not allowed by "
         "its market; allowed: 1 to 25 in steps of 1."),
        (1, market(low=2, high=None, step=None), "leverage 1 for BTC/USDT:USDT is not allowed by "
         "its market; allowed: >= 2."),
    ],
)  # fmt: skip
def test_leverage_outside_market_limits(
    leverage: float, mkt: dict[str, Any], expected: str
) -> None:
    settings = load_settings(conf({"leverage": leverage}))
    with pytest.raises(ConfigError) as err:
        check_leverage_limits(settings, ["BTC/USDT:USDT"], {"BTC/USDT:USDT": mkt})
    assert str(err.value) == f"bybit_margin: {expected}"


def test_leverage_limits_use_each_pairs_leverage_and_report_all() -> None:
    settings = load_settings(
        conf({"leverage": 10, "pair_leverage": {"BTC/USDT:USDT": 60, "ETH/.*": 30}})
    )
    markets = {
        "BTC/USDT:USDT": market(high=50),
        "ETH/USDT:USDT": market(high=25),
        "SOL/USDT:USDT": market(high=25),
    }
    with pytest.raises(ConfigError) as err:
        check_leverage_limits(settings, [*markets, "GONE/USDT:USDT"], markets)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert "leverage 60 for BTC/USDT:USDT" in lines[0]
    assert "allowed: 1 to 50" in lines[0]
    assert "leverage 30 for ETH/USDT:USDT" in lines[1]


# -- enabling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "attribute", "expected"),
    [
        (None, None, Enablement.MISSING),
        (None, {}, Enablement.MISSING),
        ({}, None, Enablement.ENABLED),
        (None, {"leverage": 3}, Enablement.ENABLED),
        ({"enabled": False}, None, Enablement.DISABLED),
        (None, {"enabled": False}, Enablement.DISABLED),
        ({"enabled": True}, {"enabled": False}, Enablement.ENABLED),  # the config wins
        ({"enabled": False}, {"leverage": 3}, Enablement.DISABLED),
    ],
)
def test_the_config_enables_the_plugin(
    section: dict[str, Any] | None, attribute: dict[str, Any] | None, expected: Enablement
) -> None:
    assert enablement(conf(section), attribute) is expected


def test_enabled_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match=r"bybit_margin.enabled: 'no' \(in the config\)"):
        load_settings(conf({"enabled": "no"}))


def test_verify_interval_is_a_number_of_seconds_from_one_to_a_day() -> None:
    assert load_settings(conf({"verify_interval": 30})).verify_interval == 30.0
    with pytest.raises(ConfigError, match=r"verify_interval: 0 .*a finite number from 1 to 86400"):
        load_settings(conf({"verify_interval": 0}))


def test_pair_leverage_merges_key_by_key_with_the_strategy_attribute() -> None:
    settings = load_settings(
        conf({"pair_leverage": {"BTC/USDT:USDT": 7}}),
        strategy_defaults={"pair_leverage": {"BTC/USDT:USDT": 2, "ETH/USDT:USDT": 4}},
    )
    assert settings.leverage_for("BTC/USDT:USDT") == 7.0  # the config's entry wins
    assert settings.leverage_for("ETH/USDT:USDT") == 4.0  # the attribute's other entry stays


# -- pair_leverage keys that mean nothing ------------------------------------------------------

WHITELIST = ["BTC/USDT:USDT", "ETH/USDT:USDT"]
MARKETS = [*WHITELIST, "SOL/USDT:USDT", "BTC/USDT", "ETH/USDT"]


def test_spot_notation_is_an_error_naming_the_futures_pair() -> None:
    """Found without markets: a key without ':SETTLE' can match no futures pair."""
    with pytest.raises(ConfigError) as err:
        load_settings(conf({"pair_leverage": {"BTC/USDT": 7}}))
    assert str(err.value).startswith(
        "bybit_margin.pair_leverage (in the config): key 'BTC/USDT' matches no pair; did you "
        "mean 'BTC/USDT:USDT'? (spot notation"
    )


def test_a_typo_of_a_market_is_an_error_with_did_you_mean() -> None:
    settings = load_settings(conf({"pair_leverage": {"ETH/USDT:USDT": 7, "BTCC/USDT:USDT": 3}}))
    with pytest.raises(ConfigError, match="key 'BTCC/USDT:USDT' matches no pair; did you mean "):
        check_pair_keys(settings, WHITELIST, MARKETS)


def test_a_key_outside_the_whitelist_is_a_warning() -> None:
    settings = load_settings(
        conf({"pair_leverage": {"SOL/USDT:USDT": 7, "BTC/.*": 5, "XRP/.*": 2}})
    )
    warnings = check_pair_keys(settings, WHITELIST, MARKETS)
    assert warnings == [
        "bybit_margin.pair_leverage: key 'SOL/USDT:USDT' matches no pair of the whitelist "
        "(2 pairs); it has no effect until such a pair joins.",
        "bybit_margin.pair_leverage: key 'XRP/.*' matches no pair of the whitelist "
        "(2 pairs); it has no effect until such a pair joins.",
    ]
    assert check_pair_keys(settings, [*WHITELIST, "SOL/USDT:USDT", "XRP/USDT:USDT"]) == []
