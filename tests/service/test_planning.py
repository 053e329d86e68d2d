"""The one pure decision shared by ``plan`` and ``prepare``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from freqtrade_bybit_margin.constants import AccountMarginMode, Category
from freqtrade_bybit_margin.markets import Contract
from freqtrade_bybit_margin.model import MarginMode, Mechanism, PairTarget
from freqtrade_bybit_margin.service.planning import Action, Located, decide, decide_account
from freqtrade_bybit_margin.service.reader import Exposure, PairState


ISO, CROSS = MarginMode.ISOLATED, MarginMode.CROSS
TARGET = PairTarget("BTC/USDT:USDT", ISO, Decimal(5))
BTC = Contract("BTC/USDT:USDT", "BTCUSDT", Category.LINEAR, "USDT")
SWITCH = Located(TARGET, BTC, Mechanism.SWITCH_ISOLATED)
ACCOUNT = Located(TARGET, BTC, Mechanism.ACCOUNT_MODE)


def state(mode: MarginMode | None, leverage: float | None, size: float = 0.0) -> PairState:
    lev = None if leverage is None else Decimal(str(leverage))
    return PairState("BTC/USDT:USDT", mode, lev, "Buy" if size else "", Decimal(str(size)))


@pytest.mark.parametrize(
    ("current", "action", "write_mode", "write_leverage"),
    [
        (state(ISO, 5.0), Action.NONE, False, False),
        (state(CROSS, 5.0), Action.SWITCH, True, False),  # switch-isolated carries the leverage
        (state(CROSS, 3.0), Action.SWITCH, True, False),
        (state(ISO, 3.0), Action.SWITCH, False, True),  # mode holds: set-leverage only
        (state(None, 3.0), Action.SWITCH, True, False),
        (state(ISO, 3.0, size=1), Action.BLOCKED, False, False),
        (state(ISO, 5.0, size=1), Action.NONE, False, False),  # busy but already right
        (None, Action.UNKNOWN, False, False),  # never a blind switch
    ],
)
def test_switch_isolated_pairs(
    current: PairState | None, action: Action, write_mode: bool, write_leverage: bool
) -> None:
    decision = decide(SWITCH, current, None)
    assert (decision.action, decision.write_mode, decision.write_leverage) == (
        action,
        write_mode,
        write_leverage,
    )


def test_account_mode_pairs_follow_the_account_step() -> None:
    flat = Exposure()
    switch = decide_account([ISO], "REGULAR_MARGIN", flat)
    holds = decide_account([ISO], "ISOLATED_MARGIN", flat)
    assert switch is not None
    assert holds is not None
    assert (switch.action, holds.action) == (Action.SWITCH, Action.NONE)

    assert decide(ACCOUNT, state(ISO, 5.0), holds).action is Action.NONE
    after_switch = decide(ACCOUNT, state(CROSS, 5.0), switch)
    assert (after_switch.action, after_switch.write_leverage) == (Action.SWITCH, False)
    other = decide(ACCOUNT, state(CROSS, 2.0), switch)
    assert (other.action, other.write_mode, other.write_leverage) == (Action.SWITCH, False, True)


def test_the_account_step_is_blocked_by_any_open_position_and_says_so() -> None:
    busy = Exposure(positions={"ADAUSDT": {"size": "1"}})
    plan = decide_account([ISO], "PORTFOLIO_MARGIN", busy)
    assert plan is not None
    assert plan.action is Action.BLOCKED
    assert "ADAUSDT" in plan.reason
    assert plan.target is AccountMarginMode.ISOLATED
    assert "PORTFOLIO_MARGIN -> ISOLATED_MARGIN" in plan.announcement
    assert "every position and bot on this account" in plan.announcement
    blocked = decide(ACCOUNT, state(None, 5.0), plan)
    assert (blocked.action, blocked.reason) == (Action.BLOCKED, plan.reason)


def test_one_account_cannot_hold_two_margin_modes() -> None:
    plan = decide_account([ISO, CROSS], "REGULAR_MARGIN", Exposure())
    assert plan is not None
    assert plan.action is Action.BLOCKED
    assert "one account-wide margin mode" in plan.reason


def test_no_account_mode_pair_means_no_account_step() -> None:
    assert decide_account([], "REGULAR_MARGIN", Exposure()) is None
    unknown = decide_account([ISO], None, Exposure())
    assert unknown is not None
    assert unknown.action is Action.UNKNOWN
