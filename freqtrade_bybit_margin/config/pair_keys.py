"""
``pair_leverage`` keys that cannot mean what they say: a near miss of a pair name would leave the
pair at the default leverage without a word, so it stops startup with a did-you-mean.

Two checks: :func:`static_near_miss` needs no markets (run with the rest of the section, before
any request: whitespace, invisible characters and Unicode look-alikes, lower case, Bybit's own
symbol ``BTCUSDT``, spot notation ``BTC/USDT``, a settle coin that is neither the base nor the
quote); :func:`check_pair_keys` compares with the whitelist and the exchange's markets once they
are known (typos of real pairs, case in regular expressions).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


__all__ = ["NearMiss", "market_near_miss", "near_miss_message", "static_near_miss"]

#: Characters that make a key a regular expression rather than a pair name.
REGEX_CHARS = frozenset(".^$*+?{}[]\\|()")
#: Quote coins of Bybit's contracts, and the settle coin each implies (``None``: the base).
QUOTE_SETTLE: dict[str, str | None] = {"USDT": "USDT", "USDC": "USDC", "USD": None}
#: Bybit's symbol suffixes: ``BTCUSDT`` (USDT perpetual), ``BTCPERP`` (USDC perpetual),
#: ``BTCUSD`` (inverse).
ID_SUFFIXES = (("USDT", "/USDT:USDT"), ("PERP", "/USDC:USDC"), ("USDC", "/USDC:USDC"))
#: Cyrillic and Greek letters that look like Latin ones (the ones pair names can contain).
LOOKALIKES = str.maketrans(
    "АВСЕНІЈКМОРЅТХУаеорсхуіјѕԁһԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοτυνκρ",
    "ABCEHIJKMOPSTXYaeopcxyijsdhqwABEZHIKMNOPTYXaotuvkp",
)
EXAMPLES = "futures pair names such as 'BTC/USDT:USDT' or regular expressions such as 'ETH/.*'"


@dataclass(frozen=True)
class NearMiss:
    """What a key probably means.

    :param hint: the pair name (or pattern) meant, if it can be told
    :param why: what is wrong with the key, in words
    """

    hint: str | None
    why: str


def near_miss_message(key: str, miss: NearMiss, where: str = "") -> str:
    """
    The error line for a near miss.

    :param key: the key as written
    :param miss: what it probably means
    :param where: `` (in the config)`` or the like; empty when unknown
    """
    prefix = f"bybit_margin.pair_leverage{where}: key {key!r} matches no pair"
    hint = f"; did you mean {miss.hint!r}?" if miss.hint else ";"
    return f"{prefix}{hint} ({miss.why}) allowed: {EXAMPLES}."


def is_literal(key: str) -> bool:
    """True for a key without regular-expression characters: it can only be a pair name."""
    return not any(char in REGEX_CHARS for char in key)


def static_near_miss(key: str) -> NearMiss | None:
    """
    A key that can match no Bybit futures pair, whatever the markets, and what it probably
    means; None when it may be fine.

    :param key: a ``pair_leverage`` key
    """
    cleaned, flaws = _clean(key)
    if not cleaned.isascii():
        return None  # a market may really have such a name (Bybit lists a few)
    if not is_literal(cleaned):
        return NearMiss(cleaned, "; ".join(flaws)) if flaws else None
    fixed, more = _fix_shape(cleaned)
    flaws += more
    if not flaws:
        return None
    return NearMiss(fixed, "; ".join(flaws))


def market_near_miss(
    key: str, pairs: Sequence[str], markets: Mapping[str, Any] | Iterable[str]
) -> NearMiss | None:
    """
    What a key that matches no pair of the whitelist probably means, given the exchange's
    markets; None when it is a real market outside the whitelist or a pattern that may match a
    pair joining later.

    :param key: a ``pair_leverage`` key that matches no whitelisted pair
    :param pairs: the whitelist
    :param markets: pair names, or ccxt markets by pair name (their ``id`` is Bybit's symbol)
    """
    known = list(dict.fromkeys([*pairs, *markets]))
    if key in known:
        return None
    spot = [pair for pair in known if pair.startswith(key + ":")]
    if spot:
        return NearMiss(spot[0], "spot notation: futures pairs end in ':SETTLE'")
    cleaned, flaws = _clean(key)
    by_id = _ids(markets)
    for candidate, why in (
        (cleaned, flaws),
        (cleaned.upper(), [*flaws, "pair names are upper case"]),
    ):
        if candidate in known and candidate != key:
            return NearMiss(candidate, "; ".join(why))
        if candidate in by_id:
            return NearMiss(by_id[candidate], "Bybit's symbol, not freqtrade's pair name")
    if not is_literal(cleaned):
        return _pattern_near_miss(key, cleaned, flaws, known)
    close = difflib.get_close_matches(cleaned.upper(), known, n=1, cutoff=0.85)
    if close:
        return NearMiss(close[0], "no such market")
    return static_near_miss(key)


def _pattern_near_miss(
    key: str, cleaned: str, flaws: list[str], known: Sequence[str]
) -> NearMiss | None:
    """A regular expression that matches a market only ignoring case, or only once cleaned."""
    try:
        strict, loose = re.compile(key), re.compile(cleaned, re.IGNORECASE)
    except re.error:
        return None
    if any(strict.fullmatch(pair) for pair in known):
        return None  # it matches markets outside the whitelist: a pair may join later
    matched = next((pair for pair in known if loose.fullmatch(pair)), None)
    if matched is None:
        return static_near_miss(key)
    for candidate in (cleaned, cleaned.upper()):
        try:
            if re.fullmatch(candidate, matched):
                why = flaws if candidate == cleaned else [*flaws, "pair names are upper case"]
                return NearMiss(candidate, "; ".join(why))
        except re.error:
            continue
    return NearMiss(None, f"it matches {matched} only ignoring case; pair names are upper case")


def _ids(markets: Mapping[str, Any] | Iterable[str]) -> dict[str, str]:
    """Bybit's symbol -> futures pair name (the market's ``id``, else from the pair's name)."""
    found: dict[str, str] = {}
    items = markets.items() if isinstance(markets, Mapping) else ((p, None) for p in markets)
    for pair, market in items:
        if ":" not in pair:
            continue  # spot markets share the symbol; keys are futures pairs
        market_id = market.get("id") if isinstance(market, Mapping) else None
        found.setdefault(str(market_id or pair.split(":", 1)[0].replace("/", "")), pair)
    return found


def _clean(key: str) -> tuple[str, list[str]]:
    """``key`` without whitespace, invisible characters and look-alikes, and what was removed."""
    flaws: list[str] = []
    if key != key.strip():
        flaws.append("leading or trailing whitespace")
    elif any(char.isspace() for char in key):
        flaws.append("whitespace inside")
    invisible = [char for char in key if unicodedata.category(char) == "Cf"]
    if invisible:
        flaws.append(f"invisible character {_names(invisible)}")
    compat = [
        char for char in key if not char.isspace() and unicodedata.normalize("NFKC", char) != char
    ]
    if compat:
        flaws.append(f"full-width or compatibility characters {_names(compat)}")
    folded = unicodedata.normalize("NFKC", key)
    alike = [char for char in folded if char.translate(LOOKALIKES) != char]
    if alike:
        flaws.append(f"look-alike letters {_names(alike)}")
    cleaned = "".join(
        char
        for char in folded.translate(LOOKALIKES)
        if not char.isspace() and unicodedata.category(char) != "Cf"
    )
    return cleaned, flaws


def _names(chars: Iterable[str]) -> str:
    unique = list(dict.fromkeys(chars))
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in unique[:3])


def _fix_shape(name: str) -> tuple[str | None, list[str]]:
    """A literal key shaped like a freqtrade futures pair ``BASE/QUOTE:SETTLE``, and why not."""
    flaws: list[str] = []
    upper = name.upper()
    if upper != name:
        flaws.append("pair names are upper case")
    if "/" not in upper:
        for suffix, pair_tail in ID_SUFFIXES:
            if upper.endswith(suffix) and len(upper) > len(suffix):
                return upper[: -len(suffix)] + pair_tail, [*flaws, _ID_WHY]
        if upper.endswith("USD") and len(upper) > 3:
            base = upper[:-3]
            return f"{base}/USD:{base}", [*flaws, _ID_WHY]
        return None, [*flaws, "not a pair name: freqtrade's futures pairs read BASE/QUOTE:SETTLE"]
    pair, _, settle_part = upper.partition(":")
    base, _, quote = pair.partition("/")
    implied = QUOTE_SETTLE.get(quote, quote) or base
    if not settle_part:
        return f"{pair}:{implied}", [*flaws, "spot notation: futures pairs end in ':SETTLE'"]
    settle, dash, expiry = settle_part.partition("-")
    allowed = (implied,) if quote in QUOTE_SETTLE else (base, quote)
    if settle not in allowed:
        fixed = f"{pair}:{implied}{dash}{expiry}"
        said = " or ".join(repr(a) for a in allowed)
        return fixed, [*flaws, f"settle coin {settle!r}: a {quote} contract settles in {said}"]
    return upper, flaws


_ID_WHY = "Bybit's symbol, not freqtrade's pair name"
