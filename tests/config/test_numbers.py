"""Every number finite and in range, whichever key, wherever it came from; the message names
the key, the value and the source."""

import math
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.config import load_settings
from freqtrade_bybit_margin.errors import ConfigError

from .test_config import conf


NAN, INF = math.nan, math.inf
#: (section, key as named, what is allowed)
BAD_NUMBERS = [
    ({"leverage": NAN}, "bybit_margin.leverage: nan", "a finite number from 1 to 200"),
    ({"leverage": INF}, "bybit_margin.leverage: inf", "a finite number from 1 to 200"),
    ({"leverage": -INF}, "bybit_margin.leverage: -inf", "a finite number from 1 to 200"),
    ({"leverage": 201}, "bybit_margin.leverage: 201", "a finite number from 1 to 200"),
    ({"leverage": 1e12}, "bybit_margin.leverage: 1000000000000.0", "from 1 to 200"),
    ({"pair_leverage": {"BTC/USDT:USDT": NAN}}, "bybit_margin.pair_leverage['BTC/USDT:USDT']: "
     "nan", "a finite number from 1 to 200"),
    ({"pair_leverage": {"ETH/.*": INF}}, "bybit_margin.pair_leverage['ETH/.*']: inf",
     "a finite number from 1 to 200"),
    ({"verify_interval": NAN}, "bybit_margin.verify_interval: nan", "from 1 to 86400"),
    ({"verify_interval": INF}, "bybit_margin.verify_interval: inf", "from 1 to 86400"),
    ({"verify_interval": 1e12}, "bybit_margin.verify_interval: 1000000000000.0",
     "from 1 to 86400"),
    ({"entry_check_max_age": NAN}, "bybit_margin.entry_check_max_age: nan", "from 0 to 86400"),
    ({"entry_check_max_age": -1}, "bybit_margin.entry_check_max_age: -1", "from 0 to 86400"),
    ({"entry_check_max_age": 61}, "bybit_margin.entry_check_max_age: 61",
     "from 0 to verify_interval (60)"),
    ({"verify_interval": 5, "entry_check_max_age": 6}, "bybit_margin.entry_check_max_age: 6",
     "from 0 to verify_interval (5)"),
]  # fmt: skip


@pytest.mark.parametrize(("section", "named", "allowed"), BAD_NUMBERS)
def test_numbers_must_be_finite_and_in_range(section: Any, named: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf(section), environ={})
    message = str(err.value)
    assert message.startswith(f"{named} (in the config) is not allowed; allowed: ")
    assert allowed in message


def test_freqtrades_json_loader_reads_nan_and_it_is_refused(tmp_path: Path) -> None:
    """freqtrade's loader accepts ``NaN`` and ``Infinity``: they reach the plugin as floats."""
    from freqtrade.configuration.load_config import load_config_file

    path = tmp_path / "config.json"
    path.write_text('{"bybit_margin": {"leverage": 3, "pair_leverage": {"ETH/.*": Infinity}}}')
    loaded = load_config_file(str(path))
    with pytest.raises(ConfigError) as err:
        load_settings({**conf(), **loaded}, environ={})
    assert str(err.value).startswith(
        "bybit_margin.pair_leverage['ETH/.*']: inf (in the config) is not allowed; allowed: a "
        "finite number from 1 to 200."
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"leverage": NAN}, "bybit_margin.leverage: nan (in the strategy attribute)"),
        ({"verify_interval": INF}, "bybit_margin.verify_interval: inf (in the strategy attribute)"),
    ],
)
def test_numbers_from_the_strategy_attribute_say_so(section: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf(), strategy_defaults=section, environ={})
    assert str(err.value).startswith(expected)


def test_max_age_bound_names_the_attribute_when_it_set_it() -> None:
    with pytest.raises(ConfigError, match=r"entry_check_max_age: 90 \(in the strategy attribute\)"):
        load_settings(conf(), strategy_defaults={"entry_check_max_age": 90}, environ={})


@pytest.mark.parametrize(("leverage", "expected"), [(1, "1"), (200, "200"), (2.5, "2.5")])
def test_bounds_are_inclusive_and_exact(leverage: float, expected: str) -> None:
    settings = load_settings(conf({"leverage": leverage, "verify_interval": 86400}), environ={})
    assert str(settings.leverage) == expected
    assert settings.verify_interval == 86400.0


def test_entry_check_max_age_may_equal_verify_interval_and_be_zero() -> None:
    assert load_settings(conf({"entry_check_max_age": 60}), environ={}).entry_check_max_age == 60
    assert load_settings(conf({"entry_check_max_age": 0}), environ={}).entry_check_max_age == 0
