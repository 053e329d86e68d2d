"""Which pairs a command works on (no server: ccxt-shaped markets)."""

import re
from typing import Any

import pytest

from freqtrade_bybit_margin.cli.pairs import plural, select_pairs
from freqtrade_bybit_margin.errors import ConfigError


def _market(linear: bool = True, contract: bool = True) -> dict[str, Any]:
    return {"contract": contract, "linear": linear and contract, "inverse": False}


MARKETS = {
    "BTC/USDT:USDT": _market(),
    "ETH/USDT:USDT": _market(),
    "SOL/USDT:USDT": _market(),
    "BTC/USDT": _market(contract=False),
}


def test_select_pairs_static_with_regex_blacklist_and_unknown() -> None:
    config = {
        "exchange": {
            "pair_whitelist": [".*/USDT:USDT", "NOPE/USDT:USDT"],
            "pair_blacklist": ["SOL/.*"],
        },
        "pairlists": [{"method": "StaticPairList"}],
    }
    selection = select_pairs(config, MARKETS)
    assert selection.pairs == ["BTC/USDT:USDT", "ETH/USDT:USDT"]
    assert any("blacklisted" in note and "SOL/USDT:USDT" in note for note in selection.notes)
    assert any("NOPE/USDT:USDT" in note for note in selection.notes)


def test_select_pairs_requested_and_errors() -> None:
    config = {"exchange": {"pair_whitelist": ["BTC/USDT:USDT"]}}
    selection = select_pairs(config, MARKETS, ["ETH/USDT:USDT", "BTC/USDT"], any_pair=True)
    assert selection.pairs == ["ETH/USDT:USDT"]
    assert any("not a futures market" in note for note in selection.notes)
    assert any("not in the config's whitelist" in note for note in selection.notes)
    with pytest.raises(ConfigError, match="--pairs"):
        select_pairs(config, MARKETS, ["DOGE/USDT:USDT"], any_pair=True)


def test_a_dynamic_pairlist_uses_the_resolved_whitelist() -> None:
    dynamic = {"exchange": {"pair_whitelist": []}, "pairlists": [{"method": "VolumePairList"}]}
    selection = select_pairs(dynamic, MARKETS, resolved=["ETH/USDT:USDT", "SOL/USDT:USDT"])
    assert selection.pairs == ["ETH/USDT:USDT", "SOL/USDT:USDT"]
    assert "pairlist VolumePairList is dynamic: 2 pairs now" in selection.notes[0]
    # --pairs selects within it, as with a static list
    assert select_pairs(dynamic, MARKETS, ["SOL/.*"], resolved=["SOL/USDT:USDT"]).pairs == [
        "SOL/USDT:USDT"
    ]
    with pytest.raises(ConfigError, match="the pairlist's current whitelist"):
        select_pairs(dynamic, MARKETS, ["BTC/USDT:USDT"], resolved=["SOL/USDT:USDT"])


WIDE = {
    **MARKETS,
    "ETH/USD:ETH": _market(linear=False) | {"inverse": True},
    "ETH/USDC:USDC": _market(),
}


def test_a_pattern_selects_within_the_whitelist() -> None:
    """``--pairs 'ETH/.*'`` means the whitelist's ETH pairs, not every ETH market on Bybit."""
    config = {"exchange": {"pair_whitelist": ["BTC/USDT:USDT", "ETH/USDT:USDT"]}}
    selection = select_pairs(config, WIDE, ["ETH/.*"])
    assert selection.pairs == ["ETH/USDT:USDT"]
    assert selection.notes == []
    # with --any-pair it reaches every contract market
    assert select_pairs(config, WIDE, ["ETH/.*"], any_pair=True).pairs == [
        "ETH/USDT:USDT",
        "ETH/USD:ETH",
        "ETH/USDC:USDC",
    ]


def test_a_pattern_matching_only_outside_the_whitelist_is_refused() -> None:
    config = {"exchange": {"pair_whitelist": ["BTC/USDT:USDT"]}}
    with pytest.raises(ConfigError) as error:
        select_pairs(config, WIDE, ["ETH/.*"])
    assert str(error.value).startswith(
        "--pairs: ETH/USDT:USDT, ETH/USD:ETH, ETH/USDC:USDC not in the config's whitelist"
    )
    with pytest.raises(ConfigError, match=re.escape("--pairs 'DOGE/.*' matches no Bybit futures")):
        select_pairs(config, WIDE, ["DOGE/.*"])


def test_select_pairs_refuses_pairs_outside_the_whitelist_without_any_pair() -> None:
    config = {
        "exchange": {
            "pair_whitelist": ["BTC/USDT:USDT", "SOL/USDT:USDT"],
            "pair_blacklist": ["SOL/.*"],
        }
    }
    with pytest.raises(ConfigError) as error:
        select_pairs(config, MARKETS, ["ETH/USDT:USDT", "SOL/USDT:USDT"])
    message = str(error.value)
    assert message.startswith("--pairs: ETH/USDT:USDT, SOL/USDT:USDT not in the config's whitelist")
    assert "SOL/USDT:USDT blacklisted" in message
    assert "allowed: pairs of exchange.pair_whitelist (BTC/USDT:USDT)" in message
    assert "--any-pair" in message
    # Within the whitelist, a regular expression selects as before.
    assert select_pairs(config, MARKETS, ["BTC/.*"]).pairs == ["BTC/USDT:USDT"]


def test_select_pairs_keeps_the_whitelist_for_pair_key_checks() -> None:
    config = {"exchange": {"pair_whitelist": ["BTC/USDT:USDT", "ETH/USDT:USDT"]}}
    selection = select_pairs(config, MARKETS, ["ETH/USDT:USDT"])
    assert selection.pairs == ["ETH/USDT:USDT"]
    assert selection.whitelist == ["BTC/USDT:USDT", "ETH/USDT:USDT"]


@pytest.mark.parametrize(("count", "text"), [(0, "0 pairs"), (1, "1 pair"), (2, "2 pairs")])
def test_plural(count: int, text: str) -> None:
    assert plural(count, "pair") == text
