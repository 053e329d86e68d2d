"""
What the account looks like before anything is decided: open positions and orders, the unified
account's margin mode, every leverage in one read where Bybit allows it, and each pair's state
(at most one read per pair, only where the bulk reads do not cover it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.markets import Contract
from freqtrade_bybit_margin.model import Mechanism
from freqtrade_bybit_margin.service.reader import ExchangeReader, Exposure, PairState, state_of


__all__ = ["Survey", "Surveyor"]

logger = logging.getLogger(__name__)


@dataclass
class Survey:
    """The bulk reads of one pass.

    :param account_mode: the unified account's ``marginMode``; None when no pair needs it
    :param leverages: ``symbol-info`` leverages by market id (account-mode pairs only)
    """

    exposure: Exposure
    account_mode: str | None = None
    leverages: dict[str, Decimal | None] = field(default_factory=dict)


class Surveyor:
    """Makes the bulk reads and answers each pair's state from them (or one read more)."""

    def __init__(self, reader: ExchangeReader) -> None:
        self._reader = reader
        self._symbol_info_served = True

    def survey(
        self, pairs: Sequence[tuple[Contract, Mechanism]], account_mode: str | None = None
    ) -> Survey:
        """
        Exposure of the pairs' settle groups, the account mode and the bulk leverages.

        :param account_mode: the account's ``marginMode`` if it was read a moment ago
        :raise ccxt.BaseError: the exposure or the account mode could not be read
        """
        exposure = self._reader.exposure({(c.category, c.settle) for c, _ in pairs})
        unified = [c for c, mechanism in pairs if mechanism is Mechanism.ACCOUNT_MODE]
        survey = Survey(exposure)
        if not unified:
            return survey
        survey.account_mode = account_mode or self._reader.account_margin_mode()
        flat = [c for c in unified if not exposure.busy(c.market_id)]
        for category in sorted({c.category for c in flat}):
            survey.leverages.update(self._bulk_leverages(category))
        return survey

    def state(self, survey: Survey, contract: Contract, mechanism: Mechanism) -> PairState | None:
        """
        The pair's state: from the survey, else from one ``position/list?symbol=`` read.

        :return: None when Bybit's answer has no row for the symbol
        """
        market_id = contract.market_id
        row = survey.exposure.positions.get(market_id)
        if row is None and mechanism is Mechanism.ACCOUNT_MODE and market_id in survey.leverages:
            row = {"leverage": survey.leverages[market_id], "size": "0"}
        if row is None:
            row = self._reader.position_row(contract)
        if row is None:
            return None
        orders = survey.exposure.open_orders.get(market_id, 0)
        return state_of(contract, mechanism, row, orders, survey.account_mode)

    def _bulk_leverages(self, category: Category) -> dict[str, Decimal | None]:
        """One ``symbol-info`` read; on a refusal the pairs are read one by one from then on."""
        if not self._symbol_info_served:
            return {}
        try:
            return self._reader.leverages(category.value)
        except ccxt.BaseError as error:
            failure = classify(error)
            if failure.retryable:
                raise
            self._symbol_info_served = False
            logger.info(
                "Reading every leverage at once is not available (%s); reading pairs one by one.",
                failure.reason,
            )
            return {}
