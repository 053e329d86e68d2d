"""Tables fit 80 columns: long cells wrap between words, nothing is cut with an ellipsis."""

import io
from collections.abc import Sequence
from decimal import Decimal

import pytest
from rich.console import Console

from freqtrade_bybit_margin.cli.output import (
    account_mode_line,
    emit,
    plan_summary,
    plan_table,
    result_summary,
    result_table,
    status_footer,
    status_table,
)
from freqtrade_bybit_margin.constants import AccountMarginMode
from freqtrade_bybit_margin.model import (
    AccountType,
    MarginMode,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    Action,
    PairPlan,
    Plan,
)
from freqtrade_bybit_margin.service.reader import PairState


LONG_REASON = (
    "BadRequest 110013: cannot set leverage due to risk limit level; lower the leverage or "
    "raise the risk limit first"
)
PAIRS = ["BTC/USDT:USDT", "S001/USDT:USDT", "1000PEPE/USDT:USDT"]


def render(*renderables: object, width: int = 80) -> str:
    stream = io.StringIO()
    emit(Console(file=stream, width=width, no_color=True), *renderables)
    return stream.getvalue()


def assert_fits(text: str, words: Sequence[str], width: int = 80) -> None:
    """No line wider than ``width``, no ellipsis, and each of ``words`` whole (not folded)."""
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, text
    assert "…" not in text
    found = set(text.split())
    missing = [word for word in words if word not in found]
    assert missing == [], text


def _plan() -> Plan:
    states = [
        PairState(PAIRS[0], None, 10.0),
        PairState(PAIRS[1], MarginMode.CROSS, 12.5, "Sell", 100.0, 2),
        PairState(PAIRS[2], None, None),
    ]
    pairs = [
        PairPlan(
            PairTarget(PAIRS[0], MarginMode.ISOLATED, Decimal("5")),
            Mechanism.ACCOUNT_MODE,
            states[0],
            Action.SWITCH,
        ),
        PairPlan(
            PairTarget(PAIRS[1], MarginMode.ISOLATED, Decimal("2.5")),
            Mechanism.ACCOUNT_MODE,
            states[1],
            Action.BLOCKED,
            states[1].busy_reason,
        ),
        PairPlan(
            PairTarget(PAIRS[2], MarginMode.ISOLATED, Decimal("3")),
            Mechanism.SWITCH_ISOLATED,
            None,
            Action.UNKNOWN,
            "current margin mode and leverage could not be read",
        ),
    ]
    status = AccountStatus(AccountType.UTA1, "PORTFOLIO_MARGIN", states)
    step = AccountModePlan("PORTFOLIO_MARGIN", AccountMarginMode.ISOLATED, Action.SWITCH)
    return Plan(status, pairs, step)


def test_plan_table_fits_80_columns() -> None:
    plan = _plan()
    text = render(plan_table(plan), plan_summary(plan))

    assert_fits(
        text,
        [
            *PAIRS,
            "account-mode+set-leverage",
            "switch-isolated",
            "isolated",
            "blocked:",
            "position",
            "unknown:",
            "portfolio",
        ],
    )
    # An account-mode pair's mode is the account's; a pair not read says so.
    assert "? (not" in text
    wide = render(plan_table(plan), width=200)
    assert "portfolio 10x" in wide
    assert "? (not read)" in wide
    assert "3 pairs: 0 already at target, 1 to switch, 1 blocked, 1 not read." in text


def test_result_table_fits_80_columns() -> None:
    target = PairTarget("1000PEPE/USDT:USDT", MarginMode.ISOLATED, Decimal("12.34"))
    results = [
        PairResult(target, Mechanism.ACCOUNT_MODE, Outcome.FAILED, False, LONG_REASON),
        PairResult(target, Mechanism.SWITCH_ISOLATED, Outcome.CHANGED, True),
    ]
    text = render(result_table(results), result_summary(results))

    assert_fits(
        text,
        [
            "1000PEPE/USDT:USDT",
            "account-mode+set-leverage",
            "switch-isolated",
            "isolated",
            "BadRequest",
            "changed",
        ],
    )
    assert "failed (NOT" in text  # the reason wraps in its column
    assert "110013:" in text
    assert "12.34x" in text
    assert "1/2 pairs confirmed (1 changed, 1 failed)." in text


def test_status_table_fits_80_columns_and_names_pairs() -> None:
    plan = _plan()
    status = AccountStatus(
        AccountType.UTA1, None, plan.status.pairs, ("S001USDT",), ("S001/USDT:USDT",)
    )
    mechanisms = ["account-mode+set-leverage"] * 3
    text = render(status_table(status, mechanisms), status_footer(status))

    assert_fits(text, [*PAIRS, "account-mode+set-leverage", "cross", "12.5x", "Sell"])
    assert "Sell 100" in text
    assert text.rstrip().endswith("Open positions or orders on: S001/USDT:USDT")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (Action.SWITCH, "REGULAR_MARGIN -> ISOLATED_MARGIN: affects every position and bot"),
        (Action.NONE, "Bybit account margin mode REGULAR_MARGIN: at target."),
        (Action.BLOCKED, "; blocked: positions are open."),
    ],
)
def test_account_mode_line(action: Action, expected: str) -> None:
    step = AccountModePlan(
        "REGULAR_MARGIN", AccountMarginMode.ISOLATED, action, "positions are open"
    )
    line = account_mode_line(step)
    assert line is not None
    assert line.startswith("Account-wide: ")
    assert expected in line
    assert account_mode_line(None) is None


def test_result_summary_is_singular_for_one_pair() -> None:
    target = PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal("5"))
    result = PairResult(target, Mechanism.SWITCH_ISOLATED, Outcome.UNCHANGED, True)
    assert result_summary([result]) == "1/1 pair confirmed (1 unchanged)."
