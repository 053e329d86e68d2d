"""
Which pairs a command works on: the config's whitelist as freqtrade would expand it, or the
``--pairs`` the user names (within the whitelist unless ``--any-pair``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import is_contract


__all__ = ["PairSelection", "plural", "select_pairs"]

STATIC_PAIRLIST = "StaticPairList"
EXAMPLE = "pairs such as 'BTC/USDT:USDT'"


@dataclass(frozen=True)
class PairSelection:
    """The pairs a command works on, and what the user should know about how they were found.

    :param pairs: freqtrade pair names, in whitelist order
    :param notes: one line each, printed above the table and listed in ``--json``
    :param whitelist: the config's whitelist (expanded, blacklist removed), whatever ``--pairs``
    """

    pairs: list[str]
    notes: list[str] = field(default_factory=list)
    whitelist: list[str] = field(default_factory=list)


def plural(count: int, word: str) -> str:
    """
    ``count`` and ``word``, in the plural unless it is one.

    :param count: how many
    :param word: singular noun (``pair``)
    :return: ``"1 pair"``, ``"3 pairs"``
    """
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _expand(patterns: Sequence[str], available: list[str]) -> list[str]:
    from freqtrade.plugins.pairlist.pairlist_helpers import expand_pairlist

    try:
        return list(expand_pairlist(list(patterns), available, keep_invalid=True))
    except ValueError as error:
        raise ConfigError(f"pairs: {error}") from None


def select_pairs(
    config: Mapping[str, Any],
    markets: Mapping[str, Mapping[str, Any]],
    requested: Sequence[str] | None = None,
    *,
    any_pair: bool = False,
) -> PairSelection:
    """
    The pairs to work on: ``--pairs`` if given, otherwise the config's whitelist.

    StaticPairList: ``exchange.pair_whitelist`` (regular expressions expanded against Bybit's
    contract markets) minus ``exchange.pair_blacklist``. A dynamic pairlist picks its pairs from
    the exchange's answer at run time; the CLI then uses ``exchange.pair_whitelist`` and says so.

    :param config: merged freqtrade config
    :param markets: ccxt markets
    :param requested: ``--pairs`` values (names or regular expressions)
    :param any_pair: ``--any-pair``: requested pairs need not be in the whitelist
    :return: the pairs and the notes for the user
    :raise ConfigError: a requested pair outside the whitelist, or nothing left to work on
    """
    exchange = config.get("exchange") or {}
    available = [symbol for symbol, market in markets.items() if is_contract(market)]
    whitelist = _expand(exchange.get("pair_whitelist") or [], available)
    blacklist = set(_expand(exchange.get("pair_blacklist") or [], available))
    notes = _pairlist_notes(config, len(whitelist))
    allowed = [p for p in whitelist if p not in blacklist]
    if requested:
        pairs = _expand(requested, available)
        outside = [p for p in pairs if p in available and p not in allowed]
        if outside and not any_pair:
            raise ConfigError(_outside_message(outside, allowed, blacklist, dynamic=bool(notes)))
        if outside:
            notes.append(f"not in the config's whitelist (--any-pair): {', '.join(outside)}")
    else:
        pairs = allowed
        dropped = [p for p in whitelist if p in blacklist]
        if dropped:
            notes.append(f"blacklisted, left out: {', '.join(dropped)}")
    notes += _unusable_notes(pairs, markets, available)
    pairs = list(dict.fromkeys(p for p in pairs if p in available))
    if not pairs:
        where = "--pairs" if requested else "exchange.pair_whitelist"
        raise ConfigError(
            f"{where}: no Bybit futures pair to work on"
            + (f" ({'; '.join(notes)})" if notes else "")
            + f"; allowed: {EXAMPLE}"
            + ("." if requested else " (or pass --pairs).")
        )
    return PairSelection(pairs, notes, allowed)


def _pairlist_notes(config: Mapping[str, Any], whitelisted: int) -> list[str]:
    methods = [str(p.get("method")) for p in config.get("pairlists") or [] if isinstance(p, dict)]
    first = methods[0] if methods else STATIC_PAIRLIST
    if first == STATIC_PAIRLIST:
        return []
    return [
        f"pairlist {first} is dynamic: the bot takes its pairs from the exchange's current "
        f"answer at run time. Using exchange.pair_whitelist from the config "
        f"({plural(whitelisted, 'pair')}); pairs that join later are prepared by the strategy "
        "mixin before their first entry."
    ]


def _outside_message(
    outside: Sequence[str], allowed: Sequence[str], blacklist: set[str], *, dynamic: bool
) -> str:
    blacklisted = [p for p in outside if p in blacklist]
    why = f" ({', '.join(blacklisted)} blacklisted)" if blacklisted else ""
    if dynamic:
        why += " (the pairlist is dynamic: only exchange.pair_whitelist is known here)"
    shown = ", ".join(allowed[:6]) + (f" and {len(allowed) - 6} more" if len(allowed) > 6 else "")
    return (
        f"--pairs: {', '.join(outside)} not in the config's whitelist{why}; allowed: pairs of "
        f"exchange.pair_whitelist ({shown or 'none'}), or pass --any-pair to work on them anyway."
    )


def _unusable_notes(
    pairs: Sequence[str], markets: Mapping[str, Mapping[str, Any]], available: Sequence[str]
) -> list[str]:
    unknown = [p for p in pairs if p not in markets]
    not_contract = [p for p in pairs if p in markets and p not in available]
    notes = []
    if unknown:
        notes.append(f"no such Bybit market, left out: {', '.join(unknown)}")
    if not_contract:
        notes.append(f"not a futures market, left out: {', '.join(not_contract)}")
    return notes
