"""
THE ``over_max`` rule: a pair whose target leverage is above Bybit's live maximum.

Since automatic risk limits (2024-03-12) Bybit lowers the maximum leverage of volatile symbols
by itself and refuses a higher one with 110013 ``cannot set leverage [3000] gt maxLeverage
[2500] by risk limit`` (values x100, parsed once by
:func:`~freqtrade_bybit_margin.client.classify.classify` onto ``Failure.max_leverage``);
"change the tier on Bybit" no longer does anything. The maximum is known from that answer, or
from the market's ``leverageFilter.maxLeverage`` (instruments-info, which freqtrade reloads).

- ``block`` (default): the pair is refused, naming Bybit's maximum and its target. A market
  maximum below the target refuses it without a write; after a 110013 the target is written
  again only when the service's back-off says so.
- ``clamp``: the pair is brought to Bybit's maximum in the same pass (one more write), its
  result says so (``PairResult.clamped_from``, "clamped 30x -> 25x"), and the callers ask for
  :meth:`OverMaxRule.allowed` targets from then on, so that freqtrade's trade and Bybit agree
  and nothing is written back and forth between the two values. A maximum learned from a
  110013 answer is kept for :data:`MAXIMUM_KEPT_S`; then the target is tried again (one write).

The bot and the CLI both go through here (``MarginService(clamp_over_max=...)``).
https://bybit-exchange.github.io/docs/v5/position/leverage ,
https://bybit-exchange.github.io/docs/v5/market/instrument (``leverageFilter``)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import ccxt

from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.markets import fmt_leverage, leverage_filter
from freqtrade_bybit_margin.model import Failure, FailureKind, PairResult, PairTarget
from freqtrade_bybit_margin.service.outcomes import PairPass
from freqtrade_bybit_margin.service.planning import AccountModePlan, Located
from freqtrade_bybit_margin.service.survey import Survey


__all__ = [
    "MAXIMUM_KEPT_S",
    "Clamp",
    "Maximum",
    "OverMaxPass",
    "OverMaxRule",
    "market_maximum",
    "statically_checked",
]

#: Seconds a maximum learned from a 110013 answer is kept (then the target is tried again).
MAXIMUM_KEPT_S = 86400.0
#: Where a maximum came from.
ANSWERED = f"Bybit's risk limit, {int(RetCode.LEVERAGE_RISK_LIMIT)}"
LISTED = "its market's leverageFilter.maxLeverage"


@dataclass(frozen=True)
class Maximum:
    """Bybit's maximum leverage of a pair, as last learned.

    :param source: :data:`ANSWERED` (a 110013 answer) or :data:`LISTED` (the market)
    :param at: when it was learned (the service's clock)
    """

    pair: str
    leverage: Decimal
    source: str
    at: float = 0.0

    def below(self, target: PairTarget) -> str:
        """``Bybit's maximum leverage for X is 25x now (...), below its target 30x``."""
        return (
            f"Bybit's maximum leverage for {self.pair} is {fmt_leverage(self.leverage)} now "
            f"({self.source}), below its target {fmt_leverage(target.leverage)}"
        )


@dataclass(frozen=True)
class Clamp:
    """``over_max: clamp`` brought a pair to Bybit's lower maximum.

    :param asked: the leverage asked for (the configured one)
    """

    asked: PairTarget
    maximum: Maximum

    @property
    def pair(self) -> str:
        return self.asked.pair

    @property
    def change(self) -> str:
        """``clamped 30x -> 25x``."""
        return (
            f"clamped {fmt_leverage(self.asked.leverage)} -> {fmt_leverage(self.maximum.leverage)}"
        )

    @property
    def reason(self) -> str:
        """One line for results, tables and the log."""
        return f"{self.change}: {self.maximum.below(self.asked)} (over_max: clamp)"


def refusal(target: PairTarget, maximum: Maximum) -> str:
    """Why ``over_max: block`` refuses ``target``, and what to do."""
    allowed = fmt_leverage(maximum.leverage)
    return (
        f"{maximum.below(target)}; over_max: block: configure at most {allowed} for it, or set "
        f'"over_max": "clamp" to trade it at Bybit\'s maximum'
    )


def market_maximum(exchange: Any, pair: str) -> Decimal | None:
    """``leverageFilter.maxLeverage`` of ``pair``'s market as ``exchange`` holds it now (None:
    unknown)."""
    try:
        return leverage_filter(exchange.market(pair)).high
    except (ccxt.BaseError, KeyError, TypeError):
        return None


def statically_checked(
    targets: Iterable[PairTarget], markets: Mapping[str, Mapping[str, Any]], *, clamp: bool
) -> list[str]:
    """
    The pairs whose leverage the static check (``config.check_leverage_limits``, at startup and
    before the CLI's first request) judges against their market's leverage filter: every one,
    but under ``over_max: clamp`` not those above the market's maximum, which the service sets
    to that maximum instead (the rule of this module).

    :param targets: the configured targets
    :param markets: ccxt markets by pair name
    :param clamp: ``over_max: clamp``
    """
    checked = []
    for target in targets:
        market = markets.get(target.pair)
        high = leverage_filter(market).high if market is not None else None
        if not (clamp and high is not None and target.leverage > high):
            checked.append(target.pair)
    return checked


class OverMaxRule:
    """What is known of Bybit's maxima, and the policy; thread-safe.

    :param clamp: ``over_max: clamp`` (False: ``block``)
    :param market_max: the market's ``leverageFilter.maxLeverage`` of a pair, None if unknown
    :param on_clamp: told once per pair and maximum when a pair is clamped
    """

    def __init__(
        self,
        *,
        clamp: bool,
        market_max: Callable[[str], Decimal | None],
        clock: Callable[[], float] = time.time,
        on_clamp: Callable[[Clamp], None] | None = None,
    ) -> None:
        self.clamp = clamp
        self._market_max = market_max
        self._clock = clock
        self._on_clamp = on_clamp
        self._lock = threading.Lock()
        self._learned: dict[str, Maximum] = {}
        self._clamps: dict[str, Clamp] = {}

    def maximum(self, pair: str) -> Maximum | None:
        """The lowest of Bybit's maxima known for ``pair`` (a 110013 answer within
        :data:`MAXIMUM_KEPT_S`, the market's filter)."""
        with self._lock:
            learned = self._learned.get(pair)
        if learned is not None and self._clock() - learned.at > MAXIMUM_KEPT_S:
            learned = None
        listed = self._listed(pair)
        known = [m for m in (learned, listed) if m is not None]
        return min(known, key=lambda m: m.leverage) if known else None

    def allowed(self, target: PairTarget) -> PairTarget:
        """``target`` as the rule has it: under ``clamp`` at most Bybit's known maximum."""
        known = self.maximum(target.pair) if self.clamp else None
        if known is None or target.leverage <= known.leverage:
            return target
        return replace(target, leverage=known.leverage)

    def before(self, item: Located) -> Located | Failure:
        """Before a pair's pass: the pair to prepare (clamped under ``clamp``), or the refusal
        of a target above its market's maximum (``block``: nothing is written)."""
        known = self.maximum(item.pair) if self.clamp else self._listed(item.pair)
        if known is None or item.target.leverage <= known.leverage:
            return item
        if self.clamp:
            return self._clamped(item, known)
        return Failure(
            FailureKind.REFUSED, refusal(item.target, known), max_leverage=known.leverage
        )

    def after(self, item: Located, failure: Failure) -> Located | Failure | None:
        """After a failed pass: Bybit named its maximum (110013) below the target: the clamped
        pair to prepare now (``clamp``) or the refusal (``block``); None for other failures."""
        maximum = failure.max_leverage
        if maximum is None or maximum >= item.target.leverage:
            return None
        known = Maximum(item.pair, maximum, ANSWERED, self._clock())
        with self._lock:
            self._learned[item.pair] = known
        if self.clamp:
            return self._clamped(item, known)
        return replace(failure, reason=refusal(item.target, known))

    def _listed(self, pair: str) -> Maximum | None:
        high = self._market_max(pair)
        return Maximum(pair, high, LISTED, self._clock()) if high is not None else None

    def clamp_of(self, pair: str) -> Clamp | None:
        """The last clamp of ``pair`` (what it was asked for, and the maximum it got)."""
        with self._lock:
            return self._clamps.get(pair)

    def _clamped(self, item: Located, known: Maximum) -> Located:
        clamp = Clamp(item.target, known)
        with self._lock:
            last = self._clamps.get(item.pair)
            self._clamps[item.pair] = clamp
        if self._on_clamp is not None and (last is None or last.change != clamp.change):
            self._on_clamp(clamp)
        return replace(item, target=replace(item.target, leverage=known.leverage))


class OverMaxPass:
    """One pair's pass (:class:`~.outcomes.PairPass`) under the rule: checked before, and
    after a 110013 answer either refused or prepared once more at Bybit's maximum."""

    def __init__(self, outcomes: PairPass, rule: OverMaxRule) -> None:
        self._pass = outcomes
        self._rule = rule

    def run(
        self,
        item: Located,
        survey: Survey,
        account: AccountModePlan | None,
        account_failure: Failure | None,
        own_position: bool = False,
    ) -> PairResult:
        """:meth:`PairPass.run` for ``item``; an order of an open trade (``own_position``) is
        at the trade's own leverage, which no rule changes."""
        if own_position:
            return self._pass.run(item, survey, account, account_failure, own_position)
        checked = self._rule.before(item)
        if isinstance(checked, Failure):
            return self._pass.failed(item.target, item.mechanism, checked)
        result = self._pass.run(checked, survey, account, account_failure)
        again = self._rule.after(checked, result.failure) if result.failure else None
        if isinstance(again, Failure):
            return replace(result, reason=again.reason, failure=again)
        if again is not None:
            spent = result.requests
            checked = again
            result = self._pass.run(checked, survey, account, account_failure)
            result = replace(result, requests=result.requests + spent)
        clamp = self._rule.clamp_of(item.pair)
        if checked.target == item.target or clamp is None:
            return result
        reason = f"{clamp.reason}; {result.reason}" if result.reason else clamp.reason
        return replace(result, reason=reason, clamped_from=item.target.leverage)
