"""
Carry out one pair's :class:`~freqtrade_bybit_margin.service.planning.Decision`: THE write ladder
(:mod:`freqtrade_bybit_margin.client.ladder`) sent through the paced, retried caller, so each
write is confirmed only by a parsed Bybit answer (retCode 0, or its own "not modified").
"""

from __future__ import annotations

from typing import Any

from freqtrade_bybit_margin.client.ladder import Step, climb, ladder
from freqtrade_bybit_margin.model import Mechanism
from freqtrade_bybit_margin.service.calls import Caller, Counter
from freqtrade_bybit_margin.service.planning import Decision, Located


__all__ = ["PairWriter"]


class PairWriter:
    """Sends a pair's writes through one caller."""

    def __init__(self, call: Caller) -> None:
        self._call = call

    def write(self, item: Located, decision: Decision, counter: Counter) -> bool:
        """
        Send the writes ``decision`` asks for.

        :return: True when Bybit changed something, False when everything already held
        :raise ccxt.BaseError: a refusal or a failure that retries did not overcome
        """
        if not (decision.write_mode or decision.write_leverage or decision.write_position_mode):
            return False
        target = item.target
        switch = decision.write_mode and item.mechanism is Mechanism.SWITCH_ISOLATED
        steps = ladder(
            item.contract,
            target.margin_mode,
            target.leverage,
            switch=switch,
            one_way=decision.write_position_mode,
        )

        def send(step: Step) -> Any:
            return self._call.post(step.endpoint, step.body, counter)

        return climb(steps, send).changed
