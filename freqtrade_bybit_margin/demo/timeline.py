"""
The demo's journal timeline: per pair, when the plugin prepared it (and how it went), when the
pair got its first order, and what position it holds. Read from the simulator's journal only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.demo.bot_runner import BotRun, plugin_writes
from freqtrade_bybit_margin.model import Mechanism, Outcome, PairResult, PairTarget


__all__ = ["DemoPair", "PairTimeline", "timeline"]

NOT_MODIFIED = (RetCode.MARGIN_MODE_NOT_MODIFIED, RetCode.LEVERAGE_NOT_MODIFIED)


@dataclass(frozen=True)
class DemoPair:
    """A pair of the demo and what the plugin must do for it.

    :param symbol: Bybit market id
    :param mechanism: what Bybit serves for it on the simulated account
    """

    target: PairTarget
    symbol: str
    mechanism: Mechanism


@dataclass(frozen=True)
class PairTimeline:
    """What happened to one pair (times in ms since the bot's first request).

    :param outcome: of the plugin's preparation; SKIPPED when it sent nothing for the pair
    :param note: retCode of a failure, ``read`` when a read showed the pair at its target
    :param prepared_ms: when the pair was known at its target; None if never
    :param position: ``Buy 0.008 @ 5x`` or ``-``
    """

    pair: DemoPair
    outcome: Outcome
    note: str
    prepared_ms: int | None
    first_order_ms: int | None
    position: str
    prepared_before_order: bool

    @property
    def traded(self) -> bool:
        """The pair got an order."""
        return self.first_order_ms is not None

    def as_result(self) -> PairResult:
        """The row as a preparation result, for the shared pair-table row builder."""
        return PairResult(
            target=self.pair.target,
            mechanism=self.pair.mechanism,
            outcome=self.outcome,
            confirmed=self.prepared_ms is not None,
            reason=self.note,
        )


def timeline(
    run: BotRun, pairs: Sequence[DemoPair], positions: Mapping[str, str]
) -> list[PairTimeline]:
    """
    Per pair: the plugin's preparation, the first order and the position held.

    :param run: the finished bot run
    :param pairs: the demo's pairs, in whitelist order
    :param positions: market id -> position description
    :return: one row per pair, in the order of ``pairs``
    """
    first_ms = run.journal[0].time_ms if run.journal else run.started_ms
    account_ok = _account_mode_ms(run)
    rows = []
    for pair in pairs:
        orders = run.requests(Endpoint.ORDER_CREATE, pair.symbol)
        first_order = orders[0] if orders else None
        outcome, note, done = _preparation(run, pair, first_order)
        prepared_ms = None if done is None else int(done.time_ms)
        if prepared_ms is not None and pair.mechanism is Mechanism.ACCOUNT_MODE:
            prepared_ms = None if account_ok is None else max(prepared_ms, account_ok)
        before = prepared_ms is not None and (first_order is None or done.seq < first_order.seq)
        rows.append(
            PairTimeline(
                pair=pair,
                outcome=outcome,
                note=note,
                prepared_ms=None if prepared_ms is None else prepared_ms - first_ms,
                first_order_ms=None if first_order is None else first_order.time_ms - first_ms,
                position=positions.get(pair.symbol, "-"),
                prepared_before_order=before,
            )
        )
    return rows


def _preparation(run: BotRun, pair: DemoPair, first_order: Any) -> tuple[Outcome, str, Any]:
    """(outcome, note, the journal entry after which the pair was at its target or None)."""
    writes = plugin_writes(run, pair.symbol)
    if writes:
        final = writes[-1]
        if final.ret_code not in (RetCode.OK, *NOT_MODIFIED):
            return Outcome.FAILED, str(final.ret_code), None
        changed = any(entry.ret_code == RetCode.OK for entry in writes)
        done = final if _leverage_of(final) == pair.target.leverage else None
        return (Outcome.CHANGED if changed else Outcome.UNCHANGED), "", done
    read = _leverage_read(run, pair.symbol, first_order)
    if read is not None:
        return Outcome.UNCHANGED, "read", read
    return Outcome.SKIPPED, "nothing sent", None


def _leverage_read(run: BotRun, symbol: str, first_order: Any) -> Any:
    """The first successful read before ``first_order`` that reported ``symbol``'s leverage:
    the bulk symbol-info read (unified accounts) or ``position/list?symbol=``, which Bybit
    answers with or without a position."""
    cutoff = float("inf") if first_order is None else first_order.seq
    for entry in run.journal:
        if entry.seq >= cutoff:
            return None
        bulk = entry.path == Endpoint.POSITION_SYMBOL_INFO and entry.symbol in (None, symbol)
        single = entry.path == Endpoint.POSITION_LIST and entry.symbol == symbol
        if (bulk or single) and entry.ret_code == RetCode.OK:
            return entry
    return None


def _leverage_of(entry: Any) -> float | None:
    value = (entry.body or {}).get("buyLeverage")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _account_mode_ms(run: BotRun) -> int | None:
    """When the account-wide mode was known right: the plugin's set-margin-mode (freqtrade's own
    carries a stray ``leverage``), or else the first account/info read."""
    sets = [
        e
        for e in run.requests(Endpoint.SET_MARGIN_MODE)
        if e.ret_code == RetCode.OK and "leverage" not in (e.body or {})
    ]
    if sets:
        return int(sets[0].time_ms)
    reads = run.requests(Endpoint.ACCOUNT_INFO)
    return int(reads[0].time_ms) if reads else None
