"""
The key preflight: before any write, is the API key able to do what the plugin and freqtrade
need (read-write, ``ContractTrade`` "Order" and "Position"), and does it expire soon?

Decided once from ``GET /v5/user/query-api`` (the answer ccxt's account probe already received
where it was kept, else one read at Bybit's 10/s): a read-only key or one without both rights
stops preparation before any write (:attr:`KeyReport.problem`, one line naming what is missing
and how to fix it); a key that expires within :data:`EXPIRY_WARNING_DAYS` is a warning
(:attr:`KeyReport.expiry`). A key whose description cannot be read is no reason to block: the
writes' own answers (10005) still are. https://bybit-exchange.github.io/docs/v5/user/apikey-info
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ccxt

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.client.keys import (
    KeyInfo,
    keep_key_answer,
    kept_key_answer,
    parse_key_info,
)
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.service.calls import Caller


__all__ = ["EXPIRY_WARNING_DAYS", "KeyCheck", "KeyReport", "judge_key"]

#: A key expiring within this many days is warned about (once a day in the bot).
EXPIRY_WARNING_DAYS = 7

FIX = (
    "on Bybit (API management) edit the key, or create one, with Read-Write access and the "
    "Contract permissions Orders and Positions"
)
NEEDS = {
    "Order": "it cannot place orders",
    "Position": "it cannot change margin mode or leverage",
}


@dataclass(frozen=True)
class KeyReport:
    """What the preflight found.

    :param info: the key's description; None when it could not be read
    :param problem: one line when the key cannot do what is needed (blocks every write)
    :param expiry: one line when the key expires within :data:`EXPIRY_WARNING_DAYS`
    :param unread: why the key could not be checked (no reason to block)
    """

    info: KeyInfo | None
    problem: str = ""
    expiry: str = ""
    unread: str = ""

    @property
    def blocks(self) -> bool:
        """The key cannot do what is needed: nothing is written, no entry is made."""
        return bool(self.problem)


def judge_key(info: KeyInfo, now: float) -> KeyReport:
    """
    THE verdict on a key, pure.

    :param info: the key's description
    :param now: unix time (for an ``expiredAt`` without ``deadlineDay``)
    """
    problem = ""
    if info.read_only:
        problem = (
            "the Bybit API key is read-only (query-api readOnly 1): it cannot change margin "
            f"mode or leverage, nor place orders; {FIX}"
        )
    elif info.missing:
        has = ", ".join(sorted(info.contract_trade)) or "none"
        effects = " and ".join(NEEDS[name] for name in info.missing)
        problem = (
            f"the Bybit API key lacks the Contract permission {' and '.join(info.missing)} "
            f"(query-api permissions.ContractTrade: {has}): {effects}; {FIX}"
        )
    return KeyReport(info, problem, expiry_line(info, now))


def expiry_line(info: KeyInfo, now: float) -> str:
    """One line when the key expires within :data:`EXPIRY_WARNING_DAYS`, else ``""``."""
    days = info.days_left(now)
    if days is None or days > EXPIRY_WARNING_DAYS:
        return ""
    when = (
        f" ({datetime.fromtimestamp(info.expires_at, UTC):%Y-%m-%d %H:%M} UTC)"
        if info.expires_at is not None
        else ""
    )
    left = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return (
        f"the Bybit API key expires {left}{when}: from then on Bybit refuses every request "
        "(33004) and the bot can neither trade nor change margin settings. Keys bound to an IP "
        "do not expire: bind this key to the bot's IP on Bybit (API management), or replace it "
        "before then"
    )


class KeyCheck:
    """Reads the key's description (or takes the one ccxt's probe kept) and judges it.

    :param exchange: the service's sync ``ccxt.bybit`` instance
    :param call: the service's caller (paced at ``query-api``'s 10/s, retried)
    :param probe: runs ccxt's account probe if it has not run (it keeps the answer when it
        runs after this was made)
    """

    def __init__(
        self,
        exchange: Any,
        call: Caller,
        probe: Callable[[], object],
        clock: Callable[[], float],
    ) -> None:
        self._exchange = exchange
        self._call = call
        self._probe = probe
        self._clock = clock
        keep_key_answer(exchange)

    def check(self, *, fresh: bool = False) -> KeyReport:
        """
        The key's report; never raises for exchange failures.

        :param fresh: read again even when ccxt's probe kept an answer (the daily check)
        """
        if getattr(self._exchange, "options", {}).get("enableDemoTrading"):
            return KeyReport(None, unread="Bybit's demo trading does not serve user/query-api")
        answer = None
        if not fresh:
            try:
                self._probe()
            except ccxt.BaseError as error:  # the pass that follows reports it
                return KeyReport(None, unread=classify(error).reason)
            answer = kept_key_answer(self._exchange)
        if answer is None:
            try:
                answer = self._call.get(Endpoint.QUERY_API, {})
            except ccxt.BaseError as error:
                return KeyReport(None, unread=classify(error).reason)
        try:
            info = parse_key_info(answer)
        except ValueError as error:
            return KeyReport(None, unread=str(error))
        return judge_key(info, self._clock())
