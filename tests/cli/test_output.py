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
    table, notes = plan_table(plan)
    text = render(table, *notes, plan_summary(plan))

    assert_fits(
        text,
        [*PAIRS, "account-mode+set-leverage", "switch-isolated", "isolated", "blocked", "unknown"],
    )
    lines = text.splitlines()
    # one line per pair: the reasons are numbered notes under the table
    assert len([line for line in lines if line.startswith(tuple(PAIRS))]) == 3
    assert "[1] open position (Sell 100) and 2 open order(s)" in text
    assert "[2] current margin mode and leverage could not be read" in text
    # An account-mode pair's mode is the account's; a pair not read says so.
    wide = render(table, width=200)
    assert "? (not read)" in wide
    assert "portfolio 10x" in wide
    assert "3 pairs: 0 already at target, 1 to switch, 1 blocked, 1 not read." in text


def test_plan_table_stays_one_line_per_pair_at_100_pairs() -> None:
    pairs = [
        PairPlan(
            PairTarget(f"S{i:03d}/USDT:USDT", MarginMode.ISOLATED, Decimal("12.5")),
            Mechanism.SWITCH_ISOLATED,
            PairState(f"S{i:03d}/USDT:USDT", MarginMode.CROSS, Decimal(10), "Buy", Decimal(1), 0),
            Action.BLOCKED,
            "open position (Buy 1)",
        )
        for i in range(1, 101)
    ]
    plan = Plan(AccountStatus(AccountType.CLASSIC, None, []), pairs, None)
    table, notes = plan_table(plan)
    text = render(table, *notes)

    lines = text.splitlines()
    assert lines[0] == "Plan (read-only): switch-isolated"  # the same on every row: the title
    assert len(lines) == 1 + 2 + 100 + 1  # title, header + rule, a line per pair, one note
    assert lines[3].split() == [
        "S001/USDT:USDT",
        "cross",
        "10x",
        "isolated",
        "12.5x",
        "blocked",
        "[1]",
    ]
    assert notes == ["[1] open position (Buy 1)"]
    assert_fits(text, [])


def test_apply_plan_lists_only_what_changes() -> None:
    plan = _plan()
    at_target = PairPlan(
        PairTarget("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal(4)),
        Mechanism.ACCOUNT_MODE,
        PairState("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal(4)),
        Action.NONE,
    )
    plan = Plan(plan.status, [*plan.pairs, at_target], plan.account_mode)
    table, _ = plan_table(plan, "Plan", only_changes=True)
    text = render(table)
    assert "ETH/USDT:USDT" not in text
    assert all(pair in text for pair in PAIRS)


def _result(pair: str, outcome: Outcome, confirmed: bool, reason: str = "") -> PairResult:
    target = PairTarget(pair, MarginMode.ISOLATED, Decimal("12.34"))
    return PairResult(target, Mechanism.SWITCH_ISOLATED, outcome, confirmed, reason)


def test_result_table_shows_what_was_and_the_target_apart() -> None:
    state = PairState("1000PEPE/USDT:USDT", MarginMode.CROSS, Decimal(10))
    before = Plan(
        AccountStatus(AccountType.CLASSIC, None, [state]),
        [
            PairPlan(
                PairTarget("1000PEPE/USDT:USDT", MarginMode.ISOLATED, Decimal("12.34")),
                Mechanism.SWITCH_ISOLATED,
                state,
                Action.SWITCH,
            )
        ],
        None,
    )
    results = [
        _result("1000PEPE/USDT:USDT", Outcome.FAILED, False, LONG_REASON),
        _result("BTC/USDT:USDT", Outcome.CHANGED, True),
        _result("ETH/USDT:USDT", Outcome.UNCHANGED, True),
    ]
    shown = result_table(results, before)
    assert shown is not None
    table, notes = shown
    text = render(table, *notes, result_summary(results), width=80)

    assert_fits(text, ["1000PEPE/USDT:USDT", "switch-isolated", "isolated", "changed"])
    pepe = next(line for line in text.splitlines() if line.startswith("1000PEPE"))
    assert pepe.split() == [
        "1000PEPE/USDT:USDT",
        "cross",
        "10x",
        "isolated",
        "12.34x",
        "failed",
        "(NOT",
        "ok)",
        "[1]",
    ]
    assert "ETH/USDT:USDT" not in text  # unchanged: counted in the summary, not listed
    assert "[1] BadRequest 110013: cannot set leverage" in text
    assert "2/3 pairs confirmed (1 changed, 1 unchanged, 1 failed)." in text


def test_result_table_is_none_when_nothing_changed() -> None:
    assert result_table([_result("BTC/USDT:USDT", Outcome.UNCHANGED, True)]) is None


def test_status_table_fits_80_columns_and_names_pairs() -> None:
    plan = _plan()
    status = AccountStatus(
        AccountType.UTA1, None, plan.status.pairs, ("S001USDT",), ("S001/USDT:USDT",)
    )
    mechanisms = ["account-mode+set-leverage"] * 3
    text = render(status_table(status, mechanisms), status_footer(status))

    assert_fits(text, [*PAIRS, "account-mode+set-leverage", "cross", "12.5x", "Sell"])
    assert text.startswith("Status: account-mode+set-leverage\n")
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
