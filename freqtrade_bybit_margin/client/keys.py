"""
THE reading of what Bybit says about the API key itself: ``GET /v5/user/query-api``.

https://bybit-exchange.github.io/docs/v5/user/apikey-info : ``readOnly`` (0 read-write, 1
read-only), ``permissions`` (``ContractTrade: ["Order", "Position"]``, ...), ``ips`` (``["*"]``:
bound to no IP), ``expiredAt`` / ``deadlineDay`` ("Only for those api key with no IP bound or the
password has been changed"; an IP-bound key reports ``-2`` and ``1970-01-01T00:00:00Z``). Any
key may call it (10/s).

ccxt reads this answer in its account probe (``is_unified_enabled``) and keeps only ``uta`` and
``unified`` of it. :func:`keep_key_answer` makes a client keep the whole answer when its probe
has not run yet (the CLI's own client), so that the key check costs no request there; on a
client probed before (freqtrade's), :func:`kept_key_answer` has nothing and the check reads
once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from freqtrade_bybit_margin.markets import finite_decimal


__all__ = [
    "CONTRACT_TRADE",
    "REQUIRED_CONTRACT_TRADE",
    "KeyInfo",
    "keep_key_answer",
    "kept_key_answer",
    "parse_key_info",
]

#: The ``permissions`` group of derivatives trading, and the two rights the plugin and
#: freqtrade need in it: "Position" (margin mode, leverage, position mode) and "Order".
CONTRACT_TRADE = "ContractTrade"
REQUIRED_CONTRACT_TRADE = ("Order", "Position")

_KEPT = "_bybit_margin_query_api"
_IMPLICIT = "privateGetV5UserQueryApi"


@dataclass(frozen=True)
class KeyInfo:
    """The API key as ``query-api`` describes it.

    :param read_only: ``readOnly`` 1
    :param contract_trade: the key's ``permissions.ContractTrade``
    :param ips: the bound IPs (``("*",)``: none)
    :param expires_at: unix time of ``expiredAt``; None when the key does not expire
    :param deadline_day: ``deadlineDay`` (days left); None when Bybit gives none (``-2``)
    """

    read_only: bool
    contract_trade: frozenset[str]
    ips: tuple[str, ...] = ("*",)
    expires_at: float | None = None
    deadline_day: int | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """The rights of :data:`REQUIRED_CONTRACT_TRADE` the key lacks, in that order."""
        return tuple(name for name in REQUIRED_CONTRACT_TRADE if name not in self.contract_trade)

    def days_left(self, now: float) -> int | None:
        """Whole days until the key expires (Bybit's ``deadlineDay`` first); None: never."""
        if self.deadline_day is not None:
            return self.deadline_day
        if self.expires_at is None:
            return None
        return max(int((self.expires_at - now) // 86_400), 0)


def parse_key_info(envelope: Any) -> KeyInfo:
    """
    The key's description from a ``query-api`` envelope.

    :param envelope: the parsed answer (``{"retCode": 0, "result": {...}}``)
    :return: the key's rights and expiry
    :raise ValueError: naming the field when ``readOnly`` or ``permissions`` cannot be read
        (nothing can be concluded from such an answer)
    """
    result = envelope.get("result") if isinstance(envelope, Mapping) else None
    if not isinstance(result, Mapping):
        raise ValueError("query-api answer has no result object")
    read_only = finite_decimal(result.get("readOnly"))
    if read_only not in (0, 1):
        raise ValueError(f"query-api readOnly {result.get('readOnly')!r} is not 0 or 1")
    permissions = result.get("permissions")
    if not isinstance(permissions, Mapping):
        raise ValueError(f"query-api permissions {permissions!r} is not an object")
    contract = permissions.get(CONTRACT_TRADE) or []
    if not isinstance(contract, list | tuple):
        raise ValueError(f"query-api permissions.{CONTRACT_TRADE} {contract!r} is not a list")
    ips = result.get("ips")
    deadline = finite_decimal(result.get("deadlineDay"))
    return KeyInfo(
        read_only=read_only == 1,
        contract_trade=frozenset(str(name) for name in contract),
        ips=tuple(str(ip) for ip in ips) if isinstance(ips, list) and ips else ("*",),
        expires_at=_expiry(result.get("expiredAt")),
        deadline_day=int(deadline) if deadline is not None and deadline >= 0 else None,
    )


def _expiry(value: Any) -> float | None:
    """Unix time of an ``expiredAt`` ISO time; None for none, the epoch or unreadable text."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    stamp = moment.timestamp()
    return stamp if stamp > 0 else None


def keep_key_answer(exchange: Any) -> None:
    """
    Make ``exchange`` keep the whole ``query-api`` answer of its own account probe (ccxt
    keeps ``uta`` and ``unified`` only). Idempotent; does nothing on a client without it.

    :param exchange: a sync ``ccxt.bybit`` instance
    """
    original = getattr(exchange, _IMPLICIT, None)
    if original is None or getattr(original, "_bybit_margin_keeps", False):
        return

    def keeping(params: Any = None) -> Any:
        answer = original(params if params is not None else {})
        setattr(exchange, _KEPT, answer)
        return answer

    keeping._bybit_margin_keeps = True  # type: ignore[attr-defined]
    setattr(exchange, _IMPLICIT, keeping)


def kept_key_answer(exchange: Any) -> Any | None:
    """The ``query-api`` answer ``exchange``'s probe received, if it was kept."""
    return getattr(exchange, _KEPT, None)
