"""``pair_leverage`` keys that cannot mean what they say: refused with a did-you-mean, before
any request where no market is needed, and against the exchange's markets otherwise."""

from typing import Any

import pytest

from freqtrade_bybit_margin.config import check_pair_keys, load_settings
from freqtrade_bybit_margin.errors import ConfigError

from .test_config import conf


CYRILLIC_BTC = "\u0412\u0422\u0421/USDT:USDT"  # Cyrillic VE, TE, ES
GREEK_ETH = "\u0395\u03a4\u0397/USDT:USDT"  # Greek EPSILON, TAU, ETA
FULL_WIDTH = "\uff22\uff34\uff23/USDT:USDT"  # full-width B, T, C

#: (key, did-you-mean, what is wrong) found without markets
STATIC = [
    ("btc/usdt:usdt", "BTC/USDT:USDT", "pair names are upper case"),
    ("BTCUSDT", "BTC/USDT:USDT", "Bybit's symbol"),
    ("btcusdt", "BTC/USDT:USDT", "Bybit's symbol"),
    ("BTCPERP", "BTC/USDC:USDC", "Bybit's symbol"),
    ("BTCUSD", "BTC/USD:BTC", "Bybit's symbol"),
    ("ETH/USDT:USDT ", "ETH/USDT:USDT", "leading or trailing whitespace"),
    (" ETH/USDT:USDT", "ETH/USDT:USDT", "leading or trailing whitespace"),
    ("ETH/USDT :USDT", "ETH/USDT:USDT", "whitespace inside"),
    ("ETH/.* ", "ETH/.*", "leading or trailing whitespace"),
    ("ETH/USDT:USDT\u200b", "ETH/USDT:USDT", "U+200B ZERO WIDTH SPACE"),
    ("ETH/USDT:USDT\u00a0", "ETH/USDT:USDT", "leading or trailing whitespace"),
    ("BTC/USDT:USD", "BTC/USDT:USDT", "settle coin 'USD': a USDT contract settles in 'USDT'"),
    ("BTC/USDT:USDC", "BTC/USDT:USDT", "settle coin 'USDC'"),
    ("BTC/USD:USD", "BTC/USD:BTC", "settle coin"),
    ("BTC/USDT", "BTC/USDT:USDT", "spot notation"),
    ("BTC/USD", "BTC/USD:BTC", "spot notation"),
    (CYRILLIC_BTC, "BTC/USDT:USDT", "U+0412 CYRILLIC CAPITAL LETTER VE"),
    (GREEK_ETH, "ETH/USDT:USDT", "U+0395 GREEK CAPITAL LETTER EPSILON"),
    (FULL_WIDTH, "BTC/USDT:USDT", "U+FF22 FULLWIDTH LATIN CAPITAL LETTER B"),
    ("ETH/.*\u0405", "ETH/.*S", "look-alike letters"),
]


@pytest.mark.parametrize(("key", "hint", "why"), STATIC)
def test_near_misses_are_refused_without_markets(key: str, hint: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(conf({"pair_leverage": {key: 4}}), environ={})
    message = str(err.value)
    assert message.startswith(
        f"bybit_margin.pair_leverage (in the config): key {key!r} matches no pair; did you mean "
        f"{hint!r}?"
    )
    assert why in message


@pytest.mark.parametrize(
    "key",
    [
        "BTC/USDT:USDT",
        "BTC/USD:BTC",
        "BTC/USDC:USDC",
        "BTC/USDT:USDT-261225",
        "1000PEPE/USDT:USDT",
        "ETH/.*",
        ".*/USDT:USDT",
        "(?i)eth/.*",
        "币安人生/USDT:USDT",  # Bybit lists a few markets named in Chinese
    ],
)
def test_keys_that_may_be_fine_pass_the_static_check(key: str) -> None:
    assert load_settings(conf({"pair_leverage": {key: 4}}), environ={}).pair_leverage[0][0] == key


def test_the_strategy_attributes_keys_say_so() -> None:
    with pytest.raises(
        ConfigError, match=r"pair_leverage \(in the strategy attribute\): key 'BTC/"
    ):
        load_settings(conf(), strategy_defaults={"pair_leverage": {"BTC/USDT": 4}}, environ={})


# -- against the markets ------------------------------------------------------------------------

WHITELIST = ["BTC/USDT:USDT", "ETH/USDT:USDT"]
MARKETS: dict[str, dict[str, Any]] = {
    "BTC/USDT:USDT": {"id": "BTCUSDT"},
    "ETH/USDT:USDT": {"id": "ETHUSDT"},
    "SOL/USDT:USDT": {"id": "SOLUSDT"},
    "BTC/USDC:USDC": {"id": "BTCPERP"},
    "ETH/USD:ETH": {"id": "ETHUSD"},
    "BTC/USDT": {"id": "BTCUSDT"},  # spot: the same id; keys are futures pairs
}


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("BTCC/USDT:USDT", "BTC/USDT:USDT"),  # a typo of a market
        ("SOLL/USDT:USDT", "SOL/USDT:USDT"),
        ("eth/.*", "ETH/.*"),  # a pattern that matches only ignoring case
        ("et[h]/usdt:usdt", "ET[H]/USDT:USDT"),
    ],
)
def test_near_misses_of_markets(key: str, hint: str) -> None:
    settings = load_settings(conf({"pair_leverage": {key: 4}}), environ={})
    with pytest.raises(ConfigError) as err:
        check_pair_keys(settings, WHITELIST, MARKETS)
    assert str(err.value).startswith(
        f"bybit_margin.pair_leverage: key {key!r} matches no pair; did you mean {hint!r}?"
    )


def test_a_pattern_matching_only_ignoring_case_names_the_pair() -> None:
    settings = load_settings(conf({"pair_leverage": {r"e\w+/usdt:usdt": 4}}), environ={})
    with pytest.raises(ConfigError, match="matches ETH/USDT:USDT only ignoring case"):
        check_pair_keys(settings, WHITELIST, MARKETS)


def test_real_markets_outside_the_whitelist_are_warnings_not_errors() -> None:
    section = {"pair_leverage": {"SOL/USDT:USDT": 4, "ETH/USD:ETH": 2, "DOGE/.*": 3}}
    settings = load_settings(conf(section), environ={})
    warnings = check_pair_keys(settings, WHITELIST, MARKETS)
    assert [line.split("'")[1] for line in warnings] == ["SOL/USDT:USDT", "ETH/USD:ETH", "DOGE/.*"]
