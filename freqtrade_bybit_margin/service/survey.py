"""
What the account looks like before anything is decided: open positions and orders, the unified
account's margin mode, every leverage in one read where Bybit allows it, and each pair's state
(at most one read per pair, only where the bulk reads do not cover it). Every state read is
shown to an observer (the contention guard), whichever read it came from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.markets import Contract, finite_decimal
from freqtrade_bybit_margin.model import Mechanism
from freqtrade_bybit_margin.service.exposure import Elsewhere
from freqtrade_bybit_margin.service.reader import ExchangeReader, Exposure, PairState, state_of


__all__ = ["Survey", "Surveyor"]

logger = logging.getLogger(__name__)

#: Seconds before bulk leverage reads (``symbol-info``) are tried again after Bybit refused
#: them (portfolio margin refuses; the account's margin mode may change back).
SYMBOL_INFO_RETRY_S = 600.0


@dataclass
class Survey:
    """The reads of one pass.

    :param account_mode: the unified account's ``marginMode``; None when no pair needs it
    :param leverages: ``symbol-info`` leverages by market id (account-mode pairs only)
    :param rows: the same ``symbol-info`` rows, folded to one per market id (hedge mode: one
        per side in Bybit's answer)
    :param known: pair states already read in this pass, by market id (reused, not re-read)
    :param at: when the survey was read (the service's clock)
    :param elsewhere: the whole account outside the pairs' settle groups, read only when an
        account-wide switch is planned (None: not read)
    """

    exposure: Exposure
    account_mode: str | None = None
    leverages: dict[str, Decimal | None] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    known: dict[str, PairState] = field(default_factory=dict)
    at: float = 0.0
    elsewhere: Elsewhere | None = None


#: ``observe(contract, state)``: a pair's state was read.
Observer = Callable[[Contract, PairState], None]


class Surveyor:
    """Makes the bulk reads and answers each pair's state from them (or one read more)."""

    def __init__(
        self,
        reader: ExchangeReader,
        *,
        clock: Callable[[], float] = time.time,
        observe: Observer | None = None,
    ) -> None:
        self._reader = reader
        self._clock = clock
        self._observe = observe
        self._symbol_info_refused: tuple[float, str | None] | None = None
        """When Bybit refused ``symbol-info`` and the account mode then."""

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
        survey = Survey(exposure, at=self._clock())
        if not unified:
            return survey
        survey.account_mode = account_mode or self._reader.account_margin_mode()
        flat = [c for c in unified if not exposure.busy(c.market_id)]
        for category in sorted({c.category for c in flat}):
            rows = self._bulk_leverages(category, survey.account_mode)
            survey.rows.update(rows)
            survey.leverages.update({k: finite_decimal(r.get("leverage")) for k, r in rows.items()})
        return survey

    def state(self, survey: Survey, contract: Contract, mechanism: Mechanism) -> PairState | None:
        """
        The pair's state: from the survey, else from one ``position/list?symbol=`` read.

        :return: None when Bybit's answer has no row for the symbol
        """
        market_id = contract.market_id
        if market_id in survey.known:
            return survey.known[market_id]
        row = survey.exposure.positions.get(market_id)
        if row is None and mechanism is Mechanism.ACCOUNT_MODE and market_id in survey.leverages:
            row = survey.rows.get(market_id) or {"leverage": survey.leverages[market_id]}
        if row is None:
            row = self._reader.position_row(contract)
        if row is None:
            return None
        orders = survey.exposure.open_orders.get(market_id, 0)
        state = state_of(contract, mechanism, row, orders, survey.account_mode)
        survey.known[market_id] = state
        self.observed(contract, state)
        return state

    def observed(self, contract: Contract, state: PairState) -> None:
        """Show a freshly read state to the observer."""
        if self._observe is not None:
            self._observe(contract, state)

    def _bulk_leverages(self, category: Category, mode: str | None) -> dict[str, dict[str, Any]]:
        """One ``symbol-info`` read; after a refusal the pairs are read one by one, until the
        account's margin mode changes or :data:`SYMBOL_INFO_RETRY_S` passed."""
        refused = self._symbol_info_refused
        if refused is not None:
            since, mode_then = refused
            if mode == mode_then and self._clock() - since < SYMBOL_INFO_RETRY_S:
                return {}
            self._symbol_info_refused = None
        try:
            return self._reader.symbol_rows(category.value)
        except ccxt.BaseError as error:
            failure = classify(error)
            if failure.retryable:
                raise
            self._symbol_info_refused = (self._clock(), mode)
            logger.info(
                "Reading every leverage at once is not available (%s); reading pairs one by one.",
                failure.reason,
            )
            return {}
