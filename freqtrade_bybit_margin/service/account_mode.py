"""
The account-wide margin mode of a unified account (``POST /v5/account/set-margin-mode``), changed
only when it differs, never while the account holds anything outside the pairs' settle groups
(the whole account is read first: :mod:`.exposure`), and never without being announced first.

https://bybit-exchange.github.io/docs/v5/account/set-margin-mode
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import AccountType, Endpoint
from freqtrade_bybit_margin.model import Failure, FailureKind, Mechanism
from freqtrade_bybit_margin.service.calls import Caller, Counter
from freqtrade_bybit_margin.service.contention import ACCOUNT, Contention
from freqtrade_bybit_margin.service.exposure import WholeAccount
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    Action,
    Located,
    decide_account,
)
from freqtrade_bybit_margin.service.survey import Survey


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
        self._whole = WholeAccount(call)

    def plan(
        self, located: Sequence[Located], survey: Survey, account_type: Callable[[], AccountType]
    ) -> AccountModePlan | None:
        """
        The step for ``located`` (:func:`~.planning.decide_account`). When it would switch a
        unified account, the whole account is read first, once per survey (2-4 reads):
        positions outside the pairs' settle groups and spot-margin loans block the switch.

        :param account_type: the account's type (asked only when a switch is planned)
        """
        modes = [i.target.margin_mode for i in located if i.mechanism is Mechanism.ACCOUNT_MODE]
        plan = decide_account(modes, survey.account_mode, survey.exposure)
        if plan is None or plan.action is not Action.SWITCH:
            return plan
        if account_type() is AccountType.CLASSIC:
            return plan  # Classic has no account-wide isolated mode to protect
        if survey.elsewhere is None:
            covered = {(i.contract.category.value, i.contract.settle) for i in located}
            survey.elsewhere = self._whole.read(covered)
        return decide_account(modes, survey.account_mode, survey.exposure, survey.elsewhere)

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
