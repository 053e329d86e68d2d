"""
THE account typing: Classic, UTA1.0 or UTA2.0, which decides how margin mode is set.

It runs ccxt's own probe, ``is_unified_enabled()``: ``GET /v5/user/query-api`` (``uta``,
``unified``) and ``GET /v5/account/info`` (``unifiedMarginStatus``), cached in the client's
``options`` (freqtrade runs it at startup, so in the bot it costs nothing). On Bybit's demo
trading service, which serves neither, ccxt assumes a UTA2.0 account without a request. The bot,
the service, the extension and the CLI all type the account here, so they cannot disagree.

https://bybit-exchange.github.io/docs/v5/acct-mode ,
https://bybit-exchange.github.io/docs/v5/enum#unifiedmarginstatus
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freqtrade_bybit_margin.constants import AccountType, UnifiedMarginStatus


__all__ = ["account_type", "account_type_async", "account_type_of"]

#: What ccxt assumes when ``account/info`` does not say (ccxt 4.5.90 ``is_unified_enabled``).
CCXT_DEFAULT_STATUS = UnifiedMarginStatus.UTA2_PRO


def account_type(exchange: Any) -> AccountType:
    """
    The account type of a sync ``ccxt.bybit`` client (ccxt's probe runs if it has not yet).

    :param exchange: ``ccxt.bybit`` with credentials (or demo trading enabled)
    :return: the account type
    :raise ccxt.BaseError: the probe failed
    """
    exchange.is_unified_enabled()
    return account_type_of(exchange.options)


async def account_type_async(exchange: Any) -> AccountType:
    """Awaitable twin of :func:`account_type` for ``ccxt.async_support.bybit``."""
    await exchange.is_unified_enabled()
    return account_type_of(exchange.options)


def account_type_of(options: Mapping[str, Any]) -> AccountType:
    """
    The account type from ccxt's probe results in ``options`` (no request).

    Not unified (``uta`` and ``unified`` both 0): Classic. Unified: by ``unifiedMarginStatus``
    (1 Classic, 3/4 UTA1.0, 5/6 UTA2.0).
    :param options: a probed ccxt bybit client's ``options``
    """
    if not (options.get("enableUnifiedMargin") or options.get("enableUnifiedAccount")):
        return AccountType.CLASSIC
    status = int(options.get("unifiedMarginStatus") or CCXT_DEFAULT_STATUS)
    if status == UnifiedMarginStatus.CLASSIC:
        return AccountType.CLASSIC
    if status in (UnifiedMarginStatus.UTA1, UnifiedMarginStatus.UTA1_PRO):
        return AccountType.UTA1
    return AccountType.UTA2
