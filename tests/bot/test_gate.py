"""The entry-gate policy (``bot/gate.py``) on its own: no freqtrade, no exchange, a fake clock."""

import logging
from decimal import Decimal

import pytest

from freqtrade_bybit_margin.bot.gate import EntryGate, LogOnce
from freqtrade_bybit_margin.config import OnFailure
from freqtrade_bybit_margin.model import (
    Failure,
    FailureKind,
    MarginMode,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)


pytestmark = pytest.mark.compat

BTC = PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal(5))
NOW = 1000.0


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def result(
    target: PairTarget = BTC,
    *,
    confirmed: bool = True,
    outcome: Outcome = Outcome.CHANGED,
    reason: str = "",
    at: float = NOW,
) -> PairResult:
    failure = None if confirmed else Failure(FailureKind.REFUSED, reason)
    return PairResult(
        target=target,
        mechanism=Mechanism.SWITCH_ISOLATED,
        outcome=outcome,
        confirmed=confirmed,
        reason=reason,
        failure=failure,
        at=at,
    )


# -- LogOnce ---------------------------------------------------------------------------------


def test_log_once_says_a_message_once_per_ttl(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    say = LogOnce(logging.getLogger("t"), ttl=60, clock=clock)
    with caplog.at_level(logging.INFO):
        assert say(("refused", "BTC"), logging.WARNING, "refused BTC") is True
        assert say(("refused", "BTC"), logging.WARNING, "refused BTC") is False
        clock.now += 59
        assert say(("refused", "BTC"), logging.WARNING, "refused BTC") is False
        clock.now += 2
        assert say(("refused", "BTC"), logging.WARNING, "refused BTC") is True
    assert [r.getMessage() for r in caplog.records] == ["refused BTC", "refused BTC"]
    assert {r.levelno for r in caplog.records} == {logging.WARNING}


def test_log_once_says_a_changed_text_at_once_under_the_same_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    say = LogOnce(logging.getLogger("t"), ttl=3600, clock=FakeClock())
    with caplog.at_level(logging.INFO):
        assert say(("refused", "BTC"), logging.WARNING, "reason one")
        assert say(("refused", "BTC"), logging.WARNING, "reason two")
        assert not say(("refused", "BTC"), logging.WARNING, "reason two")
    assert [r.getMessage() for r in caplog.records] == ["reason one", "reason two"]


def test_log_once_memory_is_bounded_by_keys_not_by_text() -> None:
    say = LogOnce(logging.getLogger("t"), ttl=3600, maxsize=3, clock=FakeClock())
    for n in range(100):
        say(("refused", "BTC"), logging.DEBUG, f"attempt {n}")
    # 100 texts under one key took one place: two more keys keep it remembered ...
    say(("refused", "A"), logging.DEBUG, "x")
    say(("refused", "B"), logging.DEBUG, "x")
    assert say(("refused", "BTC"), logging.DEBUG, "attempt 99") is False
    # ... a fourth key pushes out the least recently said one (BTC), which is said again
    say(("refused", "C"), logging.DEBUG, "x")
    assert say(("refused", "BTC"), logging.DEBUG, "attempt 99") is True
    assert say(("refused", "C"), logging.DEBUG, "x") is False


# -- PairResult.confirms (THE freshness rule) ------------------------------------------------


def test_confirms_needs_exactly_the_target_confirmed_within_max_age() -> None:
    assert result(at=1000).confirms(BTC, 1060, 60)
    assert not result(at=1000).confirms(BTC, 1060.5, 60)
    assert not result(confirmed=False).confirms(BTC, 1000, 60)
    assert not result().confirms(PairTarget(BTC.pair, MarginMode.ISOLATED, Decimal(4)), 1000, 60)
    assert not result().confirms(PairTarget(BTC.pair, MarginMode.CROSS, Decimal(5)), 1000, 60)
    # the leverage compares as a number: 5 and 5.0 are one target
    assert result().confirms(PairTarget(BTC.pair, MarginMode.ISOLATED, Decimal("5.0")), 1000, 60)


# -- EntryGate -------------------------------------------------------------------------------


def test_block_allows_a_confirmed_pair_silently() -> None:
    verdict = EntryGate(OnFailure.BLOCK).judge(BTC, result())
    assert verdict.allowed
    assert verdict.message == ""


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (None, "not prepared yet"),
        (result(PairTarget(BTC.pair, MarginMode.ISOLATED, Decimal(3))), "not prepared yet"),
        (
            result(confirmed=False, outcome=Outcome.FAILED, reason="110013 risk limit"),
            "failed: 110013 risk limit",
        ),
    ],
)
def test_block_refuses_with_the_reason_and_notifies(given: PairResult | None, why: str) -> None:
    verdict = EntryGate(OnFailure.BLOCK).judge(BTC, given)
    assert not verdict.allowed
    assert verdict.notify
    assert verdict.level == logging.WARNING
    assert verdict.key == ("refused", BTC.pair)
    assert verdict.message == (
        f"Bybit margin: entry on BTC/USDT:USDT refused: not confirmed isolated 5x ({why}) "
        "(on_failure: block)."
    )


def test_warn_allows_with_a_warning_and_no_rpc() -> None:
    verdict = EntryGate(OnFailure.WARN).judge(BTC, None)
    assert verdict.allowed
    assert not verdict.notify
    assert verdict.level == logging.WARNING
    assert "allowed although not confirmed isolated 5x" in verdict.message


@pytest.mark.parametrize("on_failure", list(OnFailure))
def test_broken_refuses_whatever_on_failure_says(on_failure: OnFailure) -> None:
    verdict = EntryGate(on_failure).broken(BTC.pair, "ccxt 4.5.30 found; supported: >=4.5.76")
    assert not verdict.allowed
    assert verdict.level == logging.ERROR
    assert "ccxt 4.5.30 found" in verdict.message


def test_error_refuses_under_block_and_allows_under_warn() -> None:
    err = RuntimeError("boom")
    blocked = EntryGate(OnFailure.BLOCK).error(BTC.pair, err)
    warned = EntryGate(OnFailure.WARN).error(BTC.pair, err)
    assert (blocked.allowed, warned.allowed) == (False, True)
    assert "entry check for BTC/USDT:USDT failed; entry refused" in blocked.message
    assert "entry allowed (on_failure: warn)" in warned.message
