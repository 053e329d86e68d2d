"""
Pairs freqtrade has no leverage tiers for: freqtrade caps every entry's leverage at its
``max_leverage``, which is 1.0 for a pair without tiers (``Exchange.get_max_leverage``), so such
a pair trades at 1x whatever the config says (freqtrade issue 13499: "freqtrade using default
leverage 1.0"). ccxt releases before its 2026-08 pagination fix (ccxt PR 30127, issue 29721)
stopped reading Bybit's paged ``GET /v5/market/risk-limit`` (15 symbols a page) after 50 pages,
so late-alphabet pairs got no tiers; freqtrade keeps what it got for a day
(``<datadir>/futures/leverage_tiers_<stake>.json``).

Checked at startup and whenever the whitelist changes. Such a pair is refused, with one WARNING
(and RPC message) naming it, 1x, why and what to do; unless ``fill_tiers``: then its tiers are
read from Bybit (``GET /v5/market/risk-limit?category=linear&symbol=X``, public, through ccxt's
own ``fetch_market_leverage_tiers``), at most once a day per pair (a failed read again after
:data:`RETRY_FAILED_S`), and put into freqtrade's tier cache
(:func:`~freqtrade_bybit_margin.bot.internals.fill_leverage_tiers`), so that freqtrade's max
leverage, its trade and Bybit agree on the target.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import ccxt

from freqtrade_bybit_margin.bot import internals
from freqtrade_bybit_margin.bot.gate import LogOnce, Verdict
from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.config import MarginSettings
from freqtrade_bybit_margin.markets import finite_decimal, fmt_leverage
from freqtrade_bybit_margin.service import MarginService


__all__ = ["RETRY_FAILED_S", "TIERS_KEPT_S", "TierGaps"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")

#: A pair's tiers are read from Bybit at most once in this many seconds ...
TIERS_KEPT_S = 86400.0
#: ... unless the read failed: then it is tried again after this many seconds.
RETRY_FAILED_S = 600.0


class TierGaps:
    """The whitelist's pairs freqtrade has no leverage tiers for, refused or filled.

    :param settings: the validated section (``fill_tiers``, each pair's leverage)
    :param client: the bot's exchange objects (freqtrade's ``Exchange``, its sync ccxt client)
    :param service: the margin service (its requests are held during an IP ban's pause)
    :param notify: sends a message through freqtrade's RPC
    :param say: the mixin's de-duplicating logger
    """

    def __init__(
        self,
        settings: MarginSettings,
        client: internals.BotClient,
        service: MarginService,
        notify: Callable[[str], None],
        say: LogOnce,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._client = client
        self._service = service
        self._notify = notify
        self._say = say
        self._clock = clock
        self._refused: dict[str, str] = {}
        """Pair -> why its tiers are missing."""
        self._reads: dict[str, tuple[float, str]] = {}
        """Pair -> when its tiers were last read from Bybit, and why that read failed ("")."""
        self._cache_unknown = False
        """This freqtrade's tier cache is not the one :mod:`.internals` knows."""

    def check(self, pairs: Sequence[str]) -> None:
        """Startup and whitelist changes: find the pairs without tiers, fill (``fill_tiers``)
        or refuse them; newly refused pairs are said once (WARNING + RPC)."""
        gaps = [pair for pair in dict.fromkeys(pairs) if self._gap(pair)]
        filled = self._fill(gaps)
        was = self._refused
        self._refused = {pair: self._why(pair) for pair in gaps if pair not in filled}
        if filled:
            logger.info(
                "Bybit margin: fill_tiers: leverage tiers read from Bybit (GET "
                "/v5/market/risk-limit?symbol=...) into freqtrade's for %s; they trade at their "
                "target.",
                ", ".join(f"{pair} (up to {fmt_leverage(top)})" for pair, top in filled.items()),
            )
        new = [pair for pair in self._refused if pair not in was]
        if new:
            message = self._announcement(new)
            if self._say(("tiers", " ".join(new)), logging.WARNING, message):
                self._notify(message)

    def verdict(self, pair: str) -> Verdict | None:
        """At an entry: the refusal of ``pair`` while freqtrade would trade it at 1x (at INFO:
        the WARNING came when it was found); None otherwise. A failed read of its tiers is
        tried again here once its retry came (``fill_tiers``)."""
        if pair not in self._refused:
            return None
        if not self._gap(pair) or self._fill([pair]):  # freqtrade's daily reload, or a read
            self._refused.pop(pair, None)
            return None
        self._refused[pair] = self._why(pair)
        leverage = fmt_leverage(self._settings.leverage_for(pair))
        return Verdict(
            False,
            ("tiers", pair),
            f"Bybit margin: entry on {pair} refused: freqtrade has no leverage tiers for it and "
            f"would trade it at 1x, not {leverage} ({self._refused[pair]}).",
            logging.INFO,
        )

    # -- internals ------------------------------------------------------------------------

    def _gap(self, pair: str) -> bool:
        """freqtrade would trade ``pair`` at 1x while its target is higher."""
        return (
            pair in self._client.markets
            and self._settings.leverage_for(pair) > 1
            and internals.lacks_tiers(self._client.exchange, pair)
        )

    def _due(self, pair: str) -> bool:
        """``fill_tiers``, and the pair's tiers were not read within a day (a failed read:
        within :data:`RETRY_FAILED_S`)."""
        if not self._settings.fill_tiers or self._cache_unknown:
            return False
        last = self._reads.get(pair)
        if last is None:
            return True
        at, failed = last
        return self._clock() - at >= (RETRY_FAILED_S if failed else TIERS_KEPT_S)

    def _fill(self, pairs: Iterable[str]) -> dict[str, Decimal]:
        """Read the tiers of ``pairs`` whose read is due and put them into freqtrade's cache.

        :return: pair -> its highest tier maximum, for each pair that now has tiers
        """
        filled: dict[str, Decimal] = {}
        for pair in [p for p in pairs if self._due(p)]:
            tiers = self._read(pair)
            if not tiers:
                continue
            if not internals.fill_leverage_tiers(self._client.exchange, pair, tiers):
                self._cache_unknown = True
                message = (
                    f"Bybit margin: fill_tiers: {internals.TIER_CACHE_UNKNOWN}; pairs without "
                    "leverage tiers stay refused."
                )
                if self._say(("tiers", "cache"), logging.WARNING, message):
                    self._notify(message)
                break
            top = _top(tiers)
            if top is not None and not internals.lacks_tiers(self._client.exchange, pair):
                filled[pair] = top
        return filled

    def _read(self, pair: str) -> list[dict[str, Any]]:
        """ccxt's tiers of ``pair`` from ``GET /v5/market/risk-limit?category=...&symbol=...``
        (empty when the read failed or Bybit listed none)."""
        api = self._client.api
        try:
            tiers = self._service.own(lambda: api.fetch_market_leverage_tiers(pair))
        except ccxt.BaseError as error:
            self._reads[pair] = (self._clock(), classify(error).reason)
            return []
        self._reads[pair] = (self._clock(), "")
        return [tier for tier in tiers or [] if isinstance(tier, dict)]

    def _why(self, pair: str) -> str:
        """Why ``pair`` has no tiers still, for the messages."""
        if not self._settings.fill_tiers:
            return "fill_tiers is off"
        if self._cache_unknown:
            return "fill_tiers: freqtrade's tier cache is not the one the plugin knows"
        failed = self._reads.get(pair, (0.0, ""))[1]
        if failed:
            return f"fill_tiers: reading them from Bybit failed ({failed}); tried again later"
        return "fill_tiers: Bybit's risk-limit list has none for it either"

    def _announcement(self, pairs: Sequence[str]) -> str:
        """The one WARNING naming the pairs, 1x, why and what to do."""
        named = ", ".join(f"{p} ({fmt_leverage(self._settings.leverage_for(p))})" for p in pairs)
        them, their = ("it", "its") if len(pairs) == 1 else ("them", "their")
        if self._settings.fill_tiers:
            why = " (" + "; ".join(dict.fromkeys(self._refused[pair] for pair in pairs)) + ")"
            fix = f"the plugin reads {their} tiers from Bybit again later (fill_tiers)"
        else:
            why = ""
            fix = (
                f'set "fill_tiers": true in bybit_margin (the plugin then reads {their} tiers '
                "from Bybit into freqtrade's, at most once a day per pair)"
            )
        return (
            f"Bybit margin: freqtrade has no leverage tiers for {named}: it would trade {them} "
            f"at 1x (its max_leverage without tiers is 1.0), not at the configured leverage; "
            f"entries on {them} are refused{why}. Bybit's risk-limit list comes in pages of 15 "
            f"symbols and ccxt {ccxt.__version__}'s reading of it lacks {them}: ccxt releases "
            "before the 2026-08 fix (ccxt issue 29721) read only its first 50 pages, and "
            "freqtrade keeps the tiers it got for a day in "
            f"<datadir>/futures/leverage_tiers_<stake>.json. To trade {them}: {fix}; or upgrade "
            "ccxt, delete that file and restart."
        )

    def refused(self, pair: str) -> bool:
        """``pair`` is refused for its missing tiers (as last checked; no request)."""
        return pair in self._refused


def _top(tiers: Sequence[dict[str, Any]]) -> Decimal | None:
    """The highest ``maxLeverage`` of ccxt's tier structures."""
    found = [m for m in (finite_decimal(t.get("maxLeverage")) for t in tiers) if m is not None]
    return max(found) if found else None
