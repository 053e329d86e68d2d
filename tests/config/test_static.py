"""``check_static``: every check without a request or markets, as the strategy runs it at
construction and the CLI before its first request."""

from typing import Any

import pytest

from freqtrade_bybit_margin.config import check_static
from freqtrade_bybit_margin.errors import ConfigError

from .bad_sections import BAD_CONFIGS, BadConfig
from .test_config import BASE, conf


def test_the_generated_set_is_large_enough() -> None:
    assert len(BAD_CONFIGS) >= 100
    assert len({bad.id for bad in BAD_CONFIGS}) == len(BAD_CONFIGS)


@pytest.mark.parametrize("bad", BAD_CONFIGS, ids=lambda bad: bad.id)
def test_every_bad_configuration_is_refused_naming_its_key(bad: BadConfig) -> None:
    config = {**BASE, **bad.top}
    with pytest.raises(ConfigError) as err:
        check_static(config, environ={})
    message = str(err.value)
    assert bad.named in message
    assert "allowed" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("config", "defaults"),
    [
        (conf(), None),  # no section, no attribute
        (conf({"enabled": False, "leverage": 3}), None),
        (conf(), {"enabled": False}),
        ({"exchange": {"name": "binance"}, "trading_mode": "spot"}, {"leverage": 3}),
        ({**BASE, "trading_mode": "spot"}, None),
    ],
)
def test_inert_configurations_give_none(config: dict[str, Any], defaults: Any) -> None:
    assert check_static(config, defaults, environ={}) is None


def test_valid_configurations_give_the_settings() -> None:
    settings = check_static(conf({"leverage": 3}), {"pair_leverage": {"BTC/.*": 5}}, environ={})
    assert settings is not None
    assert str(settings.leverage_for("BTC/USDT:USDT")) == "5"
    assert str(check_static(conf(), {"leverage": 2}, environ={}).leverage) == "2"  # type: ignore[union-attr]


def test_an_inert_section_is_still_checked_for_a_misspelt_twin() -> None:
    with pytest.raises(ConfigError, match="bybitMargin: unknown top-level key"):
        check_static(conf({"enabled": False}, bybitMargin={"leverage": 3}), environ={})


@pytest.mark.parametrize("name", ["bybit", "margin", "bybit_margin_notes", "binance_margin"])
def test_other_top_level_keys_are_left_alone(name: str) -> None:
    assert check_static(conf(**{name: {"leverage": 3}}), environ={}) is None


def test_a_misspelt_section_says_what_it_costs() -> None:
    with pytest.raises(ConfigError) as err:
        check_static(conf(bybit_margins={"leverage": 3}), environ={})
    assert str(err.value) == (
        "bybit_margins: unknown top-level key (in the config); did you mean 'bybit_margin'? "
        "Without a 'bybit_margin' section the plugin is inert and sets no margin mode or "
        "leverage; allowed: 'bybit_margin'."
    )


# -- the environment as a source -------------------------------------------------------------


def test_a_bad_environment_variable_is_named_as_the_source() -> None:
    environ = {"FREQTRADE__BYBIT_MARGIN__LEVERAGE": "abc"}
    with pytest.raises(ConfigError) as err:
        check_static(conf({"leverage": "abc"}), environ=environ)
    assert str(err.value) == (
        "bybit_margin.leverage: 'abc' (in the environment variable "
        "FREQTRADE__BYBIT_MARGIN__LEVERAGE) is not allowed; allowed: a number."
    )


def test_environment_variables_name_unknown_keys_pair_keys_and_sections() -> None:
    environ = {
        "FREQTRADE__BYBIT_MARGIN__LEVERGE": "3",
        "FREQTRADE__BYBIT_MARGIN__PAIR_LEVERAGE__BTC/USDT:USDT": "5",
        "FREQTRADE__BYBITMARGIN__LEVERAGE": "3",
    }
    with pytest.raises(
        ConfigError, match=r"\(in the environment variable FREQTRADE__BYBIT_MARGIN__LEVERGE\)"
    ):
        check_static(conf({"leverge": 3}), environ=environ)
    with pytest.raises(ConfigError) as err:
        check_static(conf({"pair_leverage": {"btc/usdt:usdt": 5}}), environ=environ)
    assert (
        "(in the environment variable FREQTRADE__BYBIT_MARGIN__PAIR_LEVERAGE__BTC/USDT:USDT)"
        in (str(err.value))
    )
    assert "did you mean 'BTC/USDT:USDT'?" in str(err.value)
    with pytest.raises(
        ConfigError,
        match=r"^bybitmargin: unknown top-level key \(in the environment variable "
        r"FREQTRADE__BYBITMARGIN__LEVERAGE\)",
    ):
        check_static(conf(bybitmargin={"leverage": 3}), environ=environ)


def test_a_config_value_is_not_blamed_on_the_environment() -> None:
    environ = {"FREQTRADE__BYBIT_MARGIN__VERIFY_INTERVAL": "30"}
    with pytest.raises(ConfigError, match=r"leverage: 0 \(in the config\)"):
        check_static(conf({"leverage": 0, "verify_interval": 30}), environ=environ)
