"""
Bybit's support rules and limits as data: which account type serves what, how fast.

Every table cites the page it encodes. Where Bybit documents nothing the choice is a knob of
:class:`~.knobs.SimKnobs` and the comment says so. The client side keeps its own copy of the
support matrix and of the limits on purpose (see ``constants.py``): a mistake on one side must
not cancel out on the other.
"""

from freqtrade_bybit_margin.constants import (
    AccountMarginMode,
    AccountType,
    Category,
    Endpoint,
    UnifiedMarginStatus,
)


ACCOUNT_TYPES: tuple[AccountType, ...] = tuple(AccountType)


def account_type_of(value: str) -> AccountType:
    """The account type named ``value`` (``"classic"``, ``"uta1"``, ``"uta2"``).

    :param value: a plain string or an :class:`AccountType`
    :return: the enum member
    :raise ValueError: for any other value, naming the allowed ones
    """
    try:
        return AccountType(value)
    except ValueError:
        allowed = ", ".join(a.value for a in AccountType)
        raise ValueError(f"account_type {value!r} is not one of {allowed}") from None


#: ``unifiedMarginStatus`` per account type (https://bybit-exchange.github.io/docs/v5/enum#unifiedmarginstatus)
UNIFIED_MARGIN_STATUS: dict[AccountType, UnifiedMarginStatus] = {
    AccountType.CLASSIC: UnifiedMarginStatus.CLASSIC,
    AccountType.UTA1: UnifiedMarginStatus.UTA1,
    AccountType.UTA2: UnifiedMarginStatus.UTA2_PRO,
}

#: ``uta`` of ``/v5/user/query-api`` (https://bybit-exchange.github.io/docs/v5/user/apikey-info)
QUERY_API_UTA: dict[AccountType, int] = {
    AccountType.CLASSIC: 0,
    AccountType.UTA1: 1,
    AccountType.UTA2: 1,
}

#: (account type, category) pairs served by ``/v5/position/switch-isolated``; everything else
#: answers 100028 "unified account is forbidden" (UTA2.0 reply undocumented: see
#: ``SimKnobs.uta2_switch_isolated_ret_code``).
#: https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate ,
#: https://bybit-exchange.github.io/docs/v5/acct-mode
SWITCH_ISOLATED_SUPPORT: frozenset[tuple[AccountType, Category]] = frozenset(
    {
        (AccountType.CLASSIC, Category.LINEAR),
        (AccountType.CLASSIC, Category.INVERSE),
        (AccountType.UTA1, Category.INVERSE),
    }
)

#: Where ``tradeMode`` of ``/v5/position/list`` reports the per-symbol mode; elsewhere it is
#: "deprecated, always 0" (https://bybit-exchange.github.io/docs/v5/position ; the last page with
#: Classic and UTA1.0, at e00557a4:
#: https://github.com/bybit-exchange/docs/blob/e00557a4c5a6bf45f5cbd47a98b791ebb237b2d4/docs/v5/position/position.mdx
PER_SYMBOL_MARGIN_MODE = SWITCH_ISOLATED_SUPPORT

#: Where a flat one-way row of ``/v5/position/list`` has ``side`` ``"None"``; elsewhere ``""``.
#: position.mdx at e00557a4 (link above), field ``side``: "one-way mode: classic &
#: UTA1.0(inverse), an empty position returns `None`. UTA2.0(linear, inverse) & UTA1.0(linear):
#: ... returns an empty string "" for an empty position." (type string: the text ``None``)
FLAT_SIDE_NONE = SWITCH_ISOLATED_SUPPORT
FLAT_SIDE_TEXT = "None"

#: ``accountType`` values ``/v5/account/wallet-balance`` accepts per account type; derivatives
#: live in ``CONTRACT`` on classic, ``UNIFIED`` on UTA
#: (https://bybit-exchange.github.io/docs/v5/account/wallet-balance).
WALLET_ACCOUNT_TYPES: dict[AccountType, frozenset[str]] = {
    AccountType.CLASSIC: frozenset({"CONTRACT", "SPOT"}),
    AccountType.UTA1: frozenset({"UNIFIED", "CONTRACT"}),
    AccountType.UTA2: frozenset({"UNIFIED"}),
}

#: Account margin modes accepted by ``/v5/account/set-margin-mode``
#: (https://bybit-exchange.github.io/docs/v5/account/set-margin-mode)
ACCOUNT_MARGIN_MODES = frozenset(m.value for m in AccountMarginMode)

# ------------------------------------------------------------------ per-UID rate limits

#: any bucket (category / accountType) of an endpoint
ANY = "*"
RateTable = dict[tuple[str, str], int]

#: Limits that do not depend on the account type: HEAD of https://bybit-exchange.github.io/docs/v5/rate-limit
#: (account/info 50/s; set-margin-mode 5/s since 2a417b94, 2026-05-13; switch-mode 10/s;
#: user/query-api 10/s; asset/coin/query-info 5/s) and the trade table (order/create,
#: order/cancel, order/cancel-all 10/s for linear/inverse, 20/s for spot). switch-isolated is in
#: no V5 table: 10/s as set-leverage (ccxt gives both cost 5; the legacy linear API put both in
#: one bucket).
_COMMON: RateTable = {
    (Endpoint.SWITCH_ISOLATED, ANY): 10,
    (Endpoint.SET_LEVERAGE, ANY): 10,
    (Endpoint.SWITCH_POSITION_MODE, ANY): 10,
    (Endpoint.SET_MARGIN_MODE, ANY): 5,
    (Endpoint.ACCOUNT_INFO, ANY): 50,
    (Endpoint.QUERY_API, ANY): 10,
    (Endpoint.COIN_INFO, ANY): 5,
    **{(p, ANY): 10 for p in (Endpoint.ORDER_CREATE, Endpoint.ORDER_CANCEL)},
    **{(p, Category.SPOT.value): 20 for p in (Endpoint.ORDER_CREATE, Endpoint.ORDER_CANCEL)},
    (Endpoint.ORDER_CANCEL_ALL, ANY): 10,
    (Endpoint.ORDER_CANCEL_ALL, Category.SPOT.value): 20,
}
_READS = (
    Endpoint.POSITION_LIST,
    Endpoint.ORDER_REALTIME,
    Endpoint.ORDER_HISTORY,
    Endpoint.EXECUTION_LIST,
)

#: Per account type, from the Classic / UTA1.0 Pro / UTA2.0 Pro tabs of the last rate-limit page
#: with all three,
#: https://github.com/bybit-exchange/docs/blob/9f53178f9509b3a983129d0a0743b358271a11b2/docs/v5/rate-limit/rate-limit.mdx
#: Classic reads 10/s (spot order reads 20/s), wallet-balance CONTRACT 10/s and SPOT 20/s;
#: UTA1.0 Pro reads linear 50/s, inverse 10/s; UTA2.0 Pro reads 50/s; wallet-balance 50/s on
#: both UTAs.
RATE_LIMITS: dict[AccountType, RateTable] = {
    AccountType.CLASSIC: {
        **_COMMON,
        **{(p, ANY): 10 for p in _READS},
        **{(p, Category.SPOT.value): 20 for p in _READS[1:]},
        (Endpoint.WALLET_BALANCE, ANY): 10,
        (Endpoint.WALLET_BALANCE, "SPOT"): 20,
    },
    AccountType.UTA1: {
        **_COMMON,
        **{(p, ANY): 50 for p in _READS},
        **{(p, Category.INVERSE.value): 10 for p in _READS},
        (Endpoint.WALLET_BALANCE, ANY): 50,
    },
    AccountType.UTA2: {
        **_COMMON,
        **{(p, ANY): 50 for p in _READS},
        (Endpoint.WALLET_BALANCE, ANY): 50,
    },
}
#: Endpoints in no table (position/symbol-info, ...): "For now, there is no limit for other
#: endpoints" (rate-limit.mdx before 2025); the simulator still counts them at 50/s.
DEFAULT_RATE_LIMIT = 50


def rate_limit(account_type: AccountType, path: str, bucket: str) -> int:
    """Requests per rolling second allowed on ``path`` for ``bucket``.

    :param account_type: the account's generation
    :param path: the endpoint
    :param bucket: the request's ``category`` (``accountType`` for wallet-balance) or ``""``
    :return: the limit
    """
    table = RATE_LIMITS[account_type]
    return table.get((path, bucket), table.get((path, ANY), DEFAULT_RATE_LIMIT))
