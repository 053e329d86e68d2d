"""
THE one module that reaches into freqtrade's internals, version-guarded.

The strategy API exposes no exchange client, and the service must use the bot's very own
instance (its keys, markets and the account-type probe freqtrade already made). Everything the
plugin takes from freqtrade beyond its public strategy and configuration interfaces is here,
checked against freqtrade 2025.10 to 2026.9 (``.ci/run`` runs both ends;
:func:`freqtrade_bybit_margin.compat.runtime_problem` refuses other versions first):

- ``dp._exchange`` (the bot's ``Exchange``) and its ``_api`` (the sync ccxt client);
- the ccxt client's ``requests`` session: one response hook that keeps Bybit's rate-limit
  headers per thread (:class:`~freqtrade_bybit_margin.client.rest.HeaderTap`);
- ``Exchange._lev_prep(pair, leverage, side, accept_fail)``: the margin calls freqtrade makes
  before each order, wrapped on the bot's INSTANCE (never freqtrade's class), only where it has
  the signature checked here; ``create_order``'s ``initial_order`` (freqtrade 2025.12 and later)
  tells an initial entry from an add or a replacing order (stoploss orders pass
  ``accept_fail=True``, exits do not call it); before 2025.12 ``accept_fail`` is False for
  every entry-side order, and one on a pair freqtrade has an open trade on is a follow-up;
- the strategy class's callbacks: whether each reaches the mixin's (a subclass that does not
  call ``super()``);
- ``Exchange._leverage_tiers`` (pair -> tiers, each parsed by the public
  ``Exchange.parse_leverage_tier(tier)``): the leverage-tier cache ``get_max_leverage`` reads,
  filled for pairs freqtrade got no tiers for (``fill_tiers``), only where it is a dict and the
  parser takes one tier.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.client.rest import HeaderTap
from freqtrade_bybit_margin.markets import finite_decimal


__all__ = [
    "HOOKS",
    "BotClient",
    "OrderPrep",
    "bot_client",
    "bypassed_hooks",
    "fill_leverage_tiers",
    "lacks_tiers",
    "wrap_lev_prep",
]

#: The mixin's callbacks, which a strategy's overrides must pass on with ``super()``.
HOOKS = ("bot_start", "bot_loop_start", "leverage", "confirm_trade_entry")
_LEV_PREP_PARAMS = ("pair", "leverage", "side", "accept_fail")
NO_CLIENT = (
    "freqtrade's exchange has no sync ccxt client (dp._exchange._api); this freqtrade version "
    "is not supported"
)
TIER_CACHE_UNKNOWN = (
    "freqtrade's leverage-tier cache (Exchange._leverage_tiers, filled with "
    "Exchange.parse_leverage_tier) is not the one this plugin knows in this freqtrade version"
)
LEV_PREP_UNKNOWN = (
    "Bybit margin: freqtrade's Exchange._lev_prep is not the one this plugin knows; it is left "
    "alone, so freqtrade's own margin-mode and leverage calls before each order remain."
)


@dataclass(frozen=True)
class BotClient:
    """The bot's own exchange objects.

    :param exchange: freqtrade's ``Exchange``
    :param api: its sync ``ccxt.bybit`` client
    :param markets: the contract markets, by pair name
    :param tap: Bybit's rate-limit headers of ``api``'s answers
    """

    exchange: Any
    api: Any
    markets: Mapping[str, Mapping[str, Any]]
    tap: HeaderTap


def bot_client(dp: Any) -> BotClient | None:
    """
    The bot's exchange, its sync ccxt client (with the header tap installed) and markets.

    :param dp: the strategy's DataProvider
    :return: None when this freqtrade has no such client (see :data:`NO_CLIENT`)
    """
    exchange: Any = getattr(dp, "_exchange", None)
    api: Any = getattr(exchange, "_api", None)
    if api is None or not hasattr(api, "markets"):
        return None
    markets = {
        name: m for name, m in (api.markets or {}).items() if m.get("contract") and m.get("settle")
    }
    return BotClient(exchange, api, markets, HeaderTap.on(api))


@dataclass(frozen=True)
class OrderPrep:
    """One call of freqtrade's ``_lev_prep``: the margin settings an order is about to use.

    :param accept_fail: False for an initial entry order, True for position adjustments,
        replace and stoploss orders (freqtrade's own meaning since 2025.12; before, an order on
        a pair with an open trade)
    :param run: freqtrade's own ``_lev_prep`` for this call (its margin-mode and leverage calls)
    """

    pair: str
    margin_mode: str
    leverage: Decimal
    accept_fail: bool
    run: Callable[[], Any]


def wrap_lev_prep(
    exchange: Any, guard: Callable[[OrderPrep], Any], has_trade: Callable[[str], bool]
) -> bool:
    """
    Route the bot's ``_lev_prep`` through ``guard`` (idempotent: a wrapped one is re-wrapped
    around freqtrade's original).

    :param exchange: freqtrade's ``Exchange`` instance
    :param guard: decides per order: return without calling ``prep.run`` (nothing is sent),
        call it, or raise (freqtrade's exceptions reach ``create_order``'s caller)
    :param has_trade: freqtrade has an open trade on the pair (asked only where freqtrade's
        ``accept_fail`` does not tell an initial entry from an add)
    :return: False when ``_lev_prep`` is not the one checked here (left alone)
    """
    current: Any = getattr(exchange, "_lev_prep", None)
    original: Any = (
        getattr(current, "__wrapped__", current) if hasattr(current, "_bbm") else current
    )
    if not _is_known_lev_prep(original):
        return False
    tells_initial = _has_parameter(getattr(exchange, "create_order", None), "initial_order")

    def _lev_prep(pair: str, leverage: float, side: Any, accept_fail: bool = False) -> Any:
        mode = getattr(exchange, "margin_mode", None)
        follow_up = accept_fail or (not tells_initial and has_trade(pair))
        prep = OrderPrep(
            pair,
            str(getattr(mode, "value", mode)),
            finite_decimal(leverage) or Decimal(0),
            follow_up,
            lambda: original(pair, leverage, side, accept_fail=accept_fail),
        )
        return guard(prep)

    _lev_prep.__wrapped__ = original  # type: ignore[attr-defined]
    _lev_prep._bbm = True  # type: ignore[attr-defined]
    exchange._lev_prep = _lev_prep
    return True


def _has_parameter(func: Any, name: str) -> bool:
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _is_known_lev_prep(func: Any) -> bool:
    """``func`` is a bound ``_lev_prep(pair, leverage, side, accept_fail=False)``."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    names = tuple(p.name for p in parameters)
    return names == _LEV_PREP_PARAMS and parameters[3].default is False


def bypassed_hooks(cls: type, mixin: type) -> list[str]:
    """
    One warning line for each callback of ``cls`` that never reaches ``mixin``'s.

    :param cls: a strategy class that has ``mixin`` among its bases
    :param mixin: the mixin class
    """
    lines = []
    for hook in HOOKS:
        blocker = _hook_blocker(cls, mixin, hook)
        if blocker is None:
            continue
        fix = (
            f"Put the mixin first: class {cls.__name__}({mixin.__name__}, IStrategy)."
            if blocker.__module__.startswith("freqtrade.")
            else f"Call super().{hook}(...) in it."
        )
        lines.append(
            f"{cls.__name__}: {blocker.__qualname__}.{hook} does not call super(), so "
            f"{mixin.__name__}.{hook} never runs. {fix}"
        )
    return lines


def _hook_blocker(cls: type, mixin: type, hook: str) -> type | None:
    """The first class before ``mixin`` in ``cls``'s MRO whose ``hook`` does not call super()."""
    for klass in cls.__mro__:
        if klass is mixin:
            return None
        func = vars(klass).get(hook)
        code = getattr(func, "__code__", None)
        if code is not None and not {"super", mixin.__name__} & set(code.co_names):
            return klass
    return None


def lacks_tiers(exchange: Any, pair: str) -> bool:
    """
    freqtrade would trade ``pair`` at 1x whatever the strategy says: its public
    ``get_max_leverage`` answers 1.0 (a pair without leverage tiers) for the smallest stake.

    :param exchange: freqtrade's ``Exchange`` (futures)
    """
    try:
        return float(exchange.get_max_leverage(pair, 0.0)) <= 1.0
    except Exception:  # freqtrade raises for pairs it cannot trade: not ours to judge
        return False


def fill_leverage_tiers(exchange: Any, pair: str, tiers: list[dict[str, Any]]) -> bool:
    """
    Put ccxt's leverage tiers of ``pair`` (``fetch_market_leverage_tiers``) into freqtrade's
    tier cache, parsed by freqtrade itself, as its own ``fill_leverage_tiers`` does for every
    pair at startup (freqtrade never empties the cache: a market reload keeps the entry).

    :param exchange: freqtrade's ``Exchange``
    :param tiers: ccxt's tier structures, lowest tier first
    :return: False when this freqtrade has no such cache (see :data:`TIER_CACHE_UNKNOWN`)
    """
    cache: Any = getattr(exchange, "_leverage_tiers", None)
    parse: Any = getattr(exchange, "parse_leverage_tier", None)
    if not isinstance(cache, dict) or not _takes_one(parse, "tier"):
        return False
    cache[pair] = [parse(tier) for tier in tiers]
    return True


def _takes_one(func: Any, name: str) -> bool:
    """``func`` is a bound method taking exactly one parameter, named ``name``."""
    try:
        names = tuple(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return False
    return names == (name,)
