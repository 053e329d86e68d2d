"""
THE two margin bodies and THE write ladder for one symbol, written once for every caller: the
service's writer (through its paced caller) and the ``switch_margin_mode`` extension (sync and
async ccxt).

The ladder, by mechanism:

- switch-isolated (Classic linear/inverse, UTA1.0 inverse): one call carries mode and leverage.
  Bybit answers 110026 when the mode already holds and then changes NOTHING, the leverage
  included (ccxt issue 13046), so ``set-leverage`` follows.
  https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate
- set-leverage alone (the mode already holds, or it is account-wide): 110043 means the leverage
  already holds. https://bybit-exchange.github.io/docs/v5/position/leverage
- a symbol in hedge mode is switched to one-way first (``switch-mode`` by symbol, which has
  priority over the coin); 110025 means it already is one-way.
  https://bybit-exchange.github.io/docs/v5/position/position-mode

Only a parsed envelope with retCode 0, or the endpoint's own "not modified" code, counts; any
other answer raises. The ladder itself does no I/O: it is a generator of :class:`Step` that is
told each step's :class:`Answer`; :func:`climb_async` sends the steps, and :func:`climb` runs it
for sync callers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.answers import error_body, ret_code_of
from freqtrade_bybit_margin.constants import Endpoint, PositionMode, RetCode
from freqtrade_bybit_margin.markets import Contract, format_leverage
from freqtrade_bybit_margin.model import MarginMode


__all__ = [
    "NOT_MODIFIED",
    "Answer",
    "Ladder",
    "Step",
    "Written",
    "climb",
    "climb_async",
    "ladder",
    "leverage_body",
    "one_way_body",
    "switch_body",
]

#: Each write's own "already there" answer (https://bybit-exchange.github.io/docs/v5/error).
#: set-leverage never answers 110026, nor switch-isolated 110043.
NOT_MODIFIED: Mapping[Endpoint, RetCode] = {
    Endpoint.SWITCH_ISOLATED: RetCode.MARGIN_MODE_NOT_MODIFIED,
    Endpoint.SET_LEVERAGE: RetCode.LEVERAGE_NOT_MODIFIED,
    Endpoint.SWITCH_POSITION_MODE: RetCode.POSITION_MODE_NOT_MODIFIED,
}


def switch_body(contract: Contract, mode: MarginMode, leverage: Decimal) -> dict[str, Any]:
    """``POST /v5/position/switch-isolated``: mode and leverage (buy = sell) of one symbol."""
    text = format_leverage(leverage)
    return {
        "category": contract.category.value,
        "symbol": contract.market_id,
        "tradeMode": int(mode.trade_mode),
        "buyLeverage": text,
        "sellLeverage": text,
    }


def leverage_body(contract: Contract, leverage: Decimal) -> dict[str, Any]:
    """``POST /v5/position/set-leverage``: one symbol's leverage (buy = sell, one-way mode)."""
    text = format_leverage(leverage)
    return {
        "category": contract.category.value,
        "symbol": contract.market_id,
        "buyLeverage": text,
        "sellLeverage": text,
    }


def one_way_body(contract: Contract) -> dict[str, Any]:
    """``POST /v5/position/switch-mode``: one symbol to one-way mode (``mode`` 0), the mode
    freqtrade's orders (``positionIdx`` 0) need."""
    return {
        "category": contract.category.value,
        "symbol": contract.market_id,
        "mode": int(PositionMode.ONE_WAY),
    }


@dataclass(frozen=True)
class Step:
    """One write of the ladder."""

    endpoint: Endpoint
    body: dict[str, Any]


class Answer(Enum):
    """What Bybit said to a step (anything else raised)."""

    APPLIED = "applied"
    NOT_MODIFIED = "not-modified"


@dataclass(frozen=True)
class Written:
    """What the ladder changed on Bybit, and the envelope of the last answer."""

    mode_changed: bool
    leverage_changed: bool
    info: Any = None
    position_mode_changed: bool = False

    @property
    def changed(self) -> bool:
        """Bybit changed something."""
        return self.mode_changed or self.leverage_changed or self.position_mode_changed


Ladder = Generator[Step, Answer, Written]


def ladder(
    contract: Contract,
    mode: MarginMode,
    leverage: Decimal,
    *,
    switch: bool,
    extra: Mapping[str, Any] | None = None,
    one_way: bool = False,
) -> Ladder:
    """
    The writes that bring one symbol to ``mode`` and ``leverage``.

    :param switch: start with switch-isolated (the mechanism is switch-isolated and the mode
        may differ); otherwise only set-leverage
    :param extra: further fields of the switch-isolated body (the extension's pass-through)
    :param one_way: switch the symbol to one-way mode before anything else (it is in hedge mode)
    """
    one_way_changed = False
    if one_way:
        answer = yield Step(Endpoint.SWITCH_POSITION_MODE, one_way_body(contract))
        one_way_changed = answer is Answer.APPLIED
    if switch:
        answer = yield Step(
            Endpoint.SWITCH_ISOLATED, {**switch_body(contract, mode, leverage), **(extra or {})}
        )
        if answer is Answer.APPLIED:
            return Written(True, True, position_mode_changed=one_way_changed)
    answer = yield Step(Endpoint.SET_LEVERAGE, leverage_body(contract, leverage))
    return Written(False, answer is Answer.APPLIED, position_mode_changed=one_way_changed)


def climb(steps: Ladder, send: Callable[[Step], Any]) -> Written:
    """
    Send every step of ``steps`` (sync): :func:`climb_async` run to its end at once, since a
    sync ``send`` never suspends it.

    :param send: sends one step; returns the envelope (retCode 0) or raises ccxt's exception
    :raise ccxt.BaseError: any answer but retCode 0 and the step's own "not modified"
    """

    async def sent(step: Step) -> Any:
        return send(step)

    run = climb_async(steps, sent)
    try:
        run.send(None)
    except StopIteration as done:
        written: Written = done.value
        return written
    raise RuntimeError("climb: a sync send suspended the ladder")  # pragma: no cover


async def climb_async(steps: Ladder, send: Callable[[Step], Awaitable[Any]]) -> Written:
    """THE loop over the ladder's steps (async; :func:`climb` runs it for sync callers)."""
    step = next(steps)
    while True:
        try:
            answer, info = Answer.APPLIED, await send(step)
        except ccxt.BaseError as error:
            answer, info = _not_modified(step, error)
        try:
            step = steps.send(answer)
        except StopIteration as done:
            return _with_info(done.value, info)


def _not_modified(step: Step, error: ccxt.BaseError) -> tuple[Answer, Any]:
    """The step's own "not modified" answer, or ``error`` raised again."""
    if ret_code_of(error) != NOT_MODIFIED[step.endpoint]:
        raise error
    return Answer.NOT_MODIFIED, error_body(error)


def _with_info(written: Written, info: Any) -> Written:
    return replace(written, info=info)
