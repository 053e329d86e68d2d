"""Value types shared by the extension, the service, the mixin and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from freqtrade_bybit_margin.constants import (
    AccountMarginMode,
    AccountType,
    TradeMode,
    UnifiedMarginStatus,
)


__all__ = [
    "AccountType",
    "MarginMode",
    "Mechanism",
    "Outcome",
    "PairResult",
    "PairTarget",
    "account_type_from_status",
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


@dataclass(frozen=True)
class PairTarget:
    """Margin mode and leverage one pair must have before it may open a position."""

    pair: str
    margin_mode: MarginMode
    leverage: float


@dataclass(frozen=True)
class PairResult:
    """The outcome of preparing one pair; the entry gate answers from these.

    :param confirmed: True when the pair is known to be at ``target`` (changed, unchanged, or
        skipped but already right).
    :param reason: human-readable cause for skipped / failed pairs, empty otherwise.
    :param error: ccxt exception class name of the last failure, if any.
    :param retryable: a failure that may succeed later (rate limit, network, time window).
    :param requests: private write requests this pair cost.
    :param at: unix time (seconds) the result was reached.
    """

    target: PairTarget
    mechanism: Mechanism
    outcome: Outcome
    confirmed: bool
    reason: str = ""
    error: str | None = None
    retryable: bool = False
    requests: int = 0
    at: float = 0.0

    @property
    def pair(self) -> str:
        return self.target.pair


def account_type_from_status(status: int) -> AccountType:
    """Map ``unifiedMarginStatus`` (1 classic, 3/4 UTA1.0, 5/6 UTA2.0) to an account type.

    https://bybit-exchange.github.io/docs/v5/enum#unifiedmarginstatus
    """
    if status == UnifiedMarginStatus.CLASSIC:
        return AccountType.CLASSIC
    if status in (UnifiedMarginStatus.UTA1, UnifiedMarginStatus.UTA1_PRO):
        return AccountType.UTA1
    return AccountType.UTA2
