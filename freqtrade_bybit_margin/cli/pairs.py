"""
Which pairs a command works on: the config's whitelist as freqtrade would expand it (a dynamic
pairlist as freqtrade resolves it, :mod:`.pairlist`), or the ``--pairs`` the user names (within
the whitelist unless ``--any-pair``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freqtrade_bybit_margin.cli.pairlist import pairlist_methods
from freqtrade_bybit_margin.config.pair_keys import is_literal
from freqtrade_bybit_margin.errors import ConfigError
from freqtrade_bybit_margin.markets import is_contract


__all__ = ["PairSelection", "plural", "select_pairs"]

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


def _expand(patterns: Sequence[str], available: Sequence[str], *, keep: bool = True) -> list[str]:
    """freqtrade's expansion (regular expressions, case-insensitive, full match); ``keep``: names
    that match nothing stay, as freqtrade keeps them in a whitelist."""
    from freqtrade.plugins.pairlist.pairlist_helpers import expand_pairlist

    try:
        return list(expand_pairlist(list(patterns), list(available), keep_invalid=keep))
    except ValueError as error:
        raise ConfigError(f"pairs: {error}") from None


def select_pairs(
    config: Mapping[str, Any],
    markets: Mapping[str, Mapping[str, Any]],
    requested: Sequence[str] | None = None,
    *,
    any_pair: bool = False,
    resolved: Sequence[str] | None = None,
) -> PairSelection:
    """
    The pairs to work on: ``--pairs`` if given (within the whitelist), otherwise the whitelist.

    The whitelist: for StaticPairList, ``exchange.pair_whitelist`` (regular expressions expanded
    against Bybit's contract markets) minus ``exchange.pair_blacklist``; for a dynamic pairlist,
    what freqtrade's pairlist handlers give now (``resolved``). ``--pairs`` names and regular
    expressions select within it; names outside it are refused unless ``any_pair``, with which
    they are matched against every contract market.

    :param config: merged freqtrade config
    :param markets: ccxt markets
    :param requested: ``--pairs`` values (names or regular expressions)
    :param any_pair: ``--any-pair``: requested pairs need not be in the whitelist
    :param resolved: the whitelist of a dynamic pairlist (:mod:`.pairlist`)
    :return: the pairs and the notes for the user
    :raise ConfigError: a requested pair outside the whitelist, or nothing left to work on
    """
    available = [symbol for symbol, market in markets.items() if is_contract(market)]
    allowed, blacklist, dropped = _whitelist(config, available, resolved)
    notes = [] if resolved is None else [_dynamic_note(config, len(allowed))]
    if requested:
        pairs = _requested(requested, allowed, available, notes, any_pair=any_pair)
        outside = [p for p in pairs if p in available and p not in allowed]
        if outside and not any_pair:
            raise ConfigError(_outside_message(outside, allowed, blacklist, resolved is not None))
        if outside:
            notes.append(f"not in the config's whitelist (--any-pair): {', '.join(outside)}")
    else:
        pairs = allowed
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


def _whitelist(
    config: Mapping[str, Any], available: Sequence[str], resolved: Sequence[str] | None
) -> tuple[list[str], set[str], list[str]]:
    """(the whitelist, the blacklist, the whitelisted pairs it removed): a dynamic pairlist's
    as resolved; else ``exchange.pair_whitelist`` expanded, minus ``pair_blacklist``."""
    if resolved is not None:
        return list(resolved), set(), []
    exchange = config.get("exchange") or {}
    whitelist = _expand(exchange.get("pair_whitelist") or [], available)
    blacklist = set(_expand(exchange.get("pair_blacklist") or [], available))
    allowed = [p for p in whitelist if p not in blacklist]
    return allowed, blacklist, [p for p in whitelist if p in blacklist]


def _requested(
    requested: Sequence[str],
    allowed: Sequence[str],
    available: Sequence[str],
    notes: list[str],
    *,
    any_pair: bool,
) -> list[str]:
    """Each ``--pairs`` item matched within the whitelist; what matches only outside it is kept
    (refused or noted by the caller); with ``any_pair``, matched against every market."""
    pairs: list[str] = []
    for item in requested:
        inside = [] if any_pair else _expand([item], allowed, keep=False)
        anywhere = inside or _expand([item], available, keep=False)
        if anywhere:
            pairs += anywhere
        elif is_literal(item):
            pairs.append(item)  # named in the notes: no such market, or not a futures one
        else:
            notes.append(f"--pairs {item!r} matches no Bybit futures market")
    return pairs


def _dynamic_note(config: Mapping[str, Any], count: int) -> str:
    methods = " + ".join(pairlist_methods(config))
    return (
        f"pairlist {methods} is dynamic: {plural(count, 'pair')} now, resolved as freqtrade "
        "resolves it (public market data); the bot's list changes at run time, and the strategy "
        "mixin prepares a pair that joins before its first entry."
    )


def _outside_message(
    outside: Sequence[str], allowed: Sequence[str], blacklist: set[str], dynamic: bool
) -> str:
    blacklisted = [p for p in outside if p in blacklist]
    why = f" ({', '.join(blacklisted)} blacklisted)" if blacklisted else ""
    source = "the pairlist's current whitelist" if dynamic else "exchange.pair_whitelist"
    shown = ", ".join(allowed[:6]) + (f" and {len(allowed) - 6} more" if len(allowed) > 6 else "")
    return (
        f"--pairs: {', '.join(outside)} not in the config's whitelist{why}; allowed: pairs of "
        f"{source} ({shown or 'none'}), or pass --any-pair to work on them anyway."
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
