"""
THE decision, pure: what to do for one pair (and for the account-wide margin mode) given what the
exchange reported. ``MarginService.plan`` shows it, ``MarginService.prepare`` carries it out: both
call :func:`decide` and :func:`decide_account`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from freqtrade_bybit_margin.constants import AccountMarginMode, AccountType
from freqtrade_bybit_margin.markets import Contract
from freqtrade_bybit_margin.model import MarginMode, Mechanism, PairTarget
from freqtrade_bybit_margin.service.exposure import Elsewhere
from freqtrade_bybit_margin.service.position_mode import SWITCH_NOTE, blocked_reason
from freqtrade_bybit_margin.service.reader import Exposure, PairState, margin_mode_of_account
from freqtrade_bybit_margin.service.survey import Survey


__all__ = [
    "AccountModePlan",
    "AccountStatus",
    "Action",
    "Decision",
    "Located",
    "PairPlan",
    "Plan",
    "at_target",
    "decide",
    "decide_account",
]

ACCOUNT_WIDE = "affects every position and bot on this account"


class Action(StrEnum):
    """What is to be done."""

    NONE = "none"
    """Already at the target: nothing to write."""
    SWITCH = "switch"
    """Write what differs."""
    BLOCKED = "blocked"
    """Must not be written now (open position / order, or the account-wide step cannot run)."""
    UNKNOWN = "unknown"
    """The current state could not be read: nothing is written blindly."""


@dataclass(frozen=True)
class Located:
    """A target with its contract and the mechanism Bybit serves it by on this account, built
    once per pass and carried through the survey, the decision and the writes."""

    target: PairTarget
    contract: Contract
    mechanism: Mechanism

    @property
    def pair(self) -> str:
        return self.target.pair


@dataclass(frozen=True)
class AccountModePlan:
    """The account-wide margin-mode step of a unified account.

    :param current: Bybit's ``marginMode`` (``PORTFOLIO_MARGIN`` ...), None when not read
    """

    current: str | None
    target: AccountMarginMode
    action: Action
    reason: str = ""

    @property
    def announcement(self) -> str:
        """What the step does, in one line, for the log, RPC and the CLI prompt."""
        return (
            f"Bybit account margin mode {self.current or 'unknown'} -> {self.target.value}: "
            f"{ACCOUNT_WIDE}"
        )


@dataclass(frozen=True)
class Decision:
    """What to do for one pair.

    :param write_mode: a switch-isolated write (mode and leverage in one call)
    :param write_leverage: a set-leverage write
    :param write_position_mode: a switch-mode write to one-way first (a flat hedged symbol)
    """

    action: Action
    reason: str = ""
    write_mode: bool = False
    write_leverage: bool = False
    write_position_mode: bool = False


def at_target(target: PairTarget, state: PairState | None) -> bool:
    """Mode and leverage both as the target says, in one-way mode (freqtrade's orders are
    one-way: a hedged symbol is never at its target)."""
    return (
        state is not None
        and state.margin_mode is target.margin_mode
        and state.leverage == target.leverage
        and not state.hedge
    )


def decide(
    item: Located,
    state: PairState | None,
    account: AccountModePlan | None,
    *,
    own_position: bool = False,
) -> Decision:
    """
    What to do for ``item``'s target given its current ``state``.

    For account-mode pairs the mode is the account's: it holds when ``account`` is NONE and will
    hold once the account-wide step (SWITCH) ran.
    :param state: None when it could not be read
    :param account: the account-wide step, for account-mode pairs
    :param own_position: the open position is the bot's own trade asking for its own leverage
        (an order of that trade): its leverage may be set back; its margin mode never changes
    A hedged symbol (:attr:`PairState.hedge`) is switched to one-way first when flat (its
    leverage is written after it: which side's the one-way leverage takes is not said), and
    blocked otherwise.
    """
    target, mechanism = item.target, item.mechanism
    if state is None:
        return Decision(Action.UNKNOWN, "current margin mode and leverage could not be read")
    if state.hedge and state.busy:
        return Decision(Action.BLOCKED, blocked_reason(state.busy_reason, item.contract.market_id))
    if at_target(target, state):
        return Decision(Action.NONE)
    if state.busy and not (own_position and state.margin_mode is target.margin_mode):
        return Decision(Action.BLOCKED, state.busy_reason)
    leverage_differs = state.leverage != target.leverage or state.hedge
    note = SWITCH_NOTE if state.hedge else ""
    if mechanism is Mechanism.SWITCH_ISOLATED:
        mode_differs = state.margin_mode is not target.margin_mode
        return Decision(
            Action.SWITCH, note, mode_differs, leverage_differs and not mode_differs, state.hedge
        )
    account_stuck = account is not None and account.action in (Action.BLOCKED, Action.UNKNOWN)
    if account_stuck and state.margin_mode is not target.margin_mode:
        return Decision(Action.BLOCKED, account.reason if account else "")
    return Decision(Action.SWITCH, note, False, leverage_differs, state.hedge)


def decide_account(
    modes: Iterable[MarginMode],
    current: str | None,
    exposure: Exposure,
    elsewhere: Elsewhere | None = None,
) -> AccountModePlan | None:
    """
    The account-wide step for the target modes of the account-mode pairs (None if there are none).

    :param current: the account's ``marginMode``; None when it could not be read
    :param elsewhere: what the whole account holds outside the pairs' settle groups, read when
        a switch is planned (None: not read); anything there blocks the switch
    """
    wanted = sorted(set(modes))
    if not wanted:
        return None
    target = wanted[0].account_margin_mode
    if len(wanted) > 1:
        reason = "unified accounts have one account-wide margin mode; targets ask for " + (
            " and ".join(wanted)
        )
        return AccountModePlan(current, target, Action.BLOCKED, reason)
    if current is None:
        return AccountModePlan(None, target, Action.UNKNOWN, "account margin mode not read")
    if margin_mode_of_account(current) is wanted[0]:
        return AccountModePlan(current, target, Action.NONE)
    if exposure.any_open:
        reason = (
            f"account margin mode is {current}, target {target.value}; it is account-wide and "
            f"cannot change while positions or orders are open ({exposure.describe()})"
        )
        return AccountModePlan(current, target, Action.BLOCKED, reason)
    if elsewhere is not None and elsewhere.unread:
        reason = (
            f"account margin mode is {current}, target {target.value}; the whole account's "
            f"positions and loans could not be read before the account-wide switch "
            f"({elsewhere.unread})"
        )
        return AccountModePlan(current, target, Action.UNKNOWN, reason)
    blockers = elsewhere.blockers(target) if elsewhere is not None else []
    if blockers:
        reason = (
            f"account margin mode is {current}, target {target.value}; it is account-wide and "
            f"is not switched while the account holds positions or loans outside this bot's "
            f"pairs: {Elsewhere.describe(blockers)} (isolated margin excludes options and spot "
            "margin). Close or repay them, or give this bot its own sub-account: the switch is "
            "made on a later pass once they are gone"
        )
        return AccountModePlan(current, target, Action.BLOCKED, reason)
    return AccountModePlan(current, target, Action.SWITCH)


@dataclass(frozen=True)
class PairPlan:
    """One pair of a plan."""

    target: PairTarget
    mechanism: Mechanism
    state: PairState | None
    action: Action
    reason: str = ""


@dataclass(frozen=True)
class AccountStatus:
    """Account type, account-wide margin mode (unified accounts) and per-pair state."""

    account_type: AccountType
    account_margin_mode: str | None
    pairs: list[PairState]
    busy_symbols: tuple[str, ...] = ()
    """Market ids with an open position or order anywhere in the pairs' settle groups."""
    busy_pairs: tuple[str, ...] = ()
    """The same, as pair names where the pair is known."""


@dataclass(frozen=True)
class Plan:
    """What :meth:`MarginService.prepare` would do, from the exchange's current answers."""

    status: AccountStatus
    pairs: list[PairPlan]
    account_mode: AccountModePlan | None
    """The account-wide step; None on Classic or when no pair uses it."""
    survey: Survey | None = None
    """The reads behind the plan (``prepare(plan=...)`` reuses them)."""

    @property
    def changes(self) -> int:
        """Pairs that would be written."""
        return sum(plan.action is Action.SWITCH for plan in self.pairs)
