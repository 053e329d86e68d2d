"""Value types shared by the client, the service, the freqtrade glue, the CLI and the demo.

No ccxt and no freqtrade here: vocabulary only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from freqtrade_bybit_margin.constants import AccountMarginMode, AccountType, TradeMode


__all__ = [
    "AccountType",
    "Failure",
    "FailureKind",
    "MarginMode",
    "Mechanism",
    "Outcome",
    "PairResult",
    "PairTarget",
]


class MarginMode(StrEnum):
    """A pair's margin mode, in ccxt's and freqtrade's words."""

    ISOLATED = "isolated"
    CROSS = "cross"

    @property
    def trade_mode(self) -> TradeMode:
        """``tradeMode`` for ``/v5/position/switch-isolated``."""
        return TradeMode.ISOLATED if self is MarginMode.ISOLATED else TradeMode.CROSS

    @property
    def account_margin_mode(self) -> AccountMarginMode:
        """``setMarginMode`` for ``/v5/account/set-margin-mode``."""
        return (
            AccountMarginMode.ISOLATED if self is MarginMode.ISOLATED else AccountMarginMode.CROSS
        )


class Mechanism(StrEnum):
    """How a pair is brought to its target."""

    SWITCH_ISOLATED = "switch-isolated"
    """``/v5/position/switch-isolated``: mode and leverage of one symbol in one call."""
    ACCOUNT_MODE = "account-mode+set-leverage"
    """``/v5/account/set-margin-mode`` once per account, ``/v5/position/set-leverage`` per pair."""


class Outcome(StrEnum):
    """What preparing one pair resulted in."""

    CHANGED = "changed"
    """The exchange accepted a change; the pair is at its target."""
    UNCHANGED = "unchanged"
    """The pair already was at its target ("not modified")."""
    SKIPPED = "skipped"
    """Left alone because of an open position or order on it."""
    FAILED = "failed"
    """The exchange refused, or the request could not be made."""


class FailureKind(StrEnum):
    """What kind of failure it is: THE identity of a failure, set once by classification
    (:func:`freqtrade_bybit_margin.client.classify.classify`) or by the service's own rules."""

    TRANSIENT = "transient"
    """Network trouble, timeouts, 5xx, 10002, 10016: worth another try soon."""
    RATE_LIMITED = "rate-limited"
    """Bybit's per-UID limit (10006): wait for the reset Bybit announces."""
    IP_BANNED = "ip-banned"
    """Bybit banned this IP for too many requests (HTTP 403 "access too frequent"): every
    request waits out the ban (at least 10 minutes), none is retried before it ends."""
    UNREADABLE = "unreadable"
    """No parsed Bybit answer (HTML, empty, truncated, no retCode), or the state could not be
    read: nothing is confirmed, and nothing is written blindly."""
    BLOCKED = "blocked"
    """Must not be written now: an open position or order, or the account-wide step cannot run."""
    REFUSED = "refused"
    """Bybit refused the request (10001, 110013, 110073, ...): it will not change by itself."""
    NOT_SERVED = "not-served"
    """The account type or Bybit does not serve it (100028, a market without margin settings)."""
    AUTH = "auth"
    """The key is not accepted (10003, 10004)."""
    PERMISSION = "permission"
    """The key may not do this (10005, 10010)."""
    CONTESTED = "contested"
    """Another client keeps changing the setting back: not written again before it stays put."""
    NOT_MODIFIED = "not-modified"
    """110026 / 110043: the setting already held. Success for the ladder, never a pair's failure."""

    @property
    def retryable(self) -> bool:
        """A failure that may go away by itself: the pair is tried again soon."""
        return self in _RETRYABLE

    @property
    def key_refused(self) -> bool:
        """The API key itself is refused or lacks a permission."""
        return self in (FailureKind.AUTH, FailureKind.PERMISSION)


_RETRYABLE = frozenset(
    {
        FailureKind.TRANSIENT,
        FailureKind.RATE_LIMITED,
        FailureKind.IP_BANNED,
        FailureKind.UNREADABLE,
        FailureKind.BLOCKED,
        FailureKind.CONTESTED,
    }
)


@dataclass(frozen=True)
class Failure:
    """A classified failure.

    :param kind: what kind it is (decisions go by this, never by a class name)
    :param reason: one line for logs and tables, never containing credentials
    :param code: Bybit's retCode, if Bybit answered one
    :param exception: the ccxt exception class behind it, for display (``--json`` ``error``)
    :param max_leverage: Bybit's maximum leverage for the symbol, as its 110013 answer names it
        (``gt maxLeverage [2500]``: 25); None when the answer names none
    """

    kind: FailureKind
    reason: str
    code: int | None = None
    exception: str | None = None
    max_leverage: Decimal | None = None

    @property
    def retryable(self) -> bool:
        """See :attr:`FailureKind.retryable`."""
        return self.kind.retryable


@dataclass(frozen=True)
class PairTarget:
    """Margin mode and leverage one pair must have before it may open a position.

    :param leverage: a finite Decimal >= 1, exact as configured (``Decimal("2.5")``)
    """

    pair: str
    margin_mode: MarginMode
    leverage: Decimal


@dataclass(frozen=True)
class PairResult:
    """The outcome of preparing (or reading) one pair; the entry gate answers from these.

    :param confirmed: True when the pair is known to be at ``target`` (changed, unchanged, or
        skipped but already right).
    :param reason: human-readable cause for skipped / failed pairs, empty otherwise.
    :param failure: what failed, if anything.
    :param requests: private write requests this pair cost.
    :param at: unix time (seconds) Bybit's answer or read confirming it arrived.
    :param clamped_from: the leverage asked for, when ``over_max: clamp`` brought the pair to
        Bybit's lower maximum instead (``target`` holds that maximum)
    """

    target: PairTarget
    mechanism: Mechanism
    outcome: Outcome
    confirmed: bool
    reason: str = ""
    failure: Failure | None = None
    requests: int = 0
    at: float = 0.0
    clamped_from: Decimal | None = None

    @property
    def pair(self) -> str:
        return self.target.pair

    @property
    def retryable(self) -> bool:
        """A failure that may go away by itself (see :attr:`FailureKind.retryable`)."""
        return self.failure is not None and self.failure.retryable

    def confirms(self, target: PairTarget, now: float, max_age: float) -> bool:
        """
        THE freshness rule: this result confirmed exactly ``target`` at most ``max_age``
        seconds before ``now``. The gate, the service's memory and the order wrapper all ask
        this.

        :param target: margin mode and leverage asked for
        :param now: the current time, on the clock ``at`` was taken with
        :param max_age: seconds a confirmation is trusted (``inf``: any age)
        """
        return self.confirmed and self.target == target and now - self.at <= max_age
