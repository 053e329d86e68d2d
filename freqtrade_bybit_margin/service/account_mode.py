"""
The account-wide margin mode of a unified account (``POST /v5/account/set-margin-mode``), changed
only when it differs and never without being announced first.

https://bybit-exchange.github.io/docs/v5/account/set-margin-mode
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import Failure, FailureKind
from freqtrade_bybit_margin.service.calls import Caller, Counter
from freqtrade_bybit_margin.service.contention import ACCOUNT, Contention
from freqtrade_bybit_margin.service.planning import AccountModePlan, Action


__all__ = ["AccountModeStep"]

logger = logging.getLogger(__name__)


class AccountModeStep:
    """Carries out an :class:`AccountModePlan`.

    :param contention: refuses the change while another client keeps changing it back
    :param announce: called with the announcement before the account-wide change is sent
    """

    def __init__(
        self,
        call: Caller,
        contention: Contention,
        clock: Callable[[], float],
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self._call = call
        self._contention = contention
        self._clock = clock
        self.announce = announce

    def run(self, plan: AccountModePlan | None) -> tuple[Failure | None, int]:
        """
        Run the step.

        :return: (the failure, or None when the account is at the target mode afterwards;
            requests sent)
        """
        if plan is None or plan.action is Action.NONE:
            return None, 0
        if plan.action is not Action.SWITCH:
            kind = FailureKind.BLOCKED if plan.action is Action.BLOCKED else FailureKind.UNREADABLE
            return Failure(kind, plan.reason), 0
        contest = self._contention.blocks(ACCOUNT, self._clock())
        if contest is not None:
            return Failure(FailureKind.CONTESTED, f"account margin mode: {contest.reason}"), 0
        logger.warning("%s.", plan.announcement)
        if self.announce is not None:
            self.announce(plan.announcement)
        counter = Counter()
        try:
            self._call.post(Endpoint.SET_MARGIN_MODE, {"setMarginMode": plan.target.value}, counter)
        except ccxt.BaseError as error:
            failure = classify(error)
            return replace(failure, reason=f"account margin mode: {failure.reason}"), counter.sent
        self._contention.wrote(ACCOUNT, plan.target.value, self._clock())
        logger.warning("Bybit account margin mode is now %s.", plan.target.value)
        return None, counter.sent
