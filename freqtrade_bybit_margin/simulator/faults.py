"""Injected faults: a canned answer for matching calls (retCode, HTTP 5xx or a timeout)."""

import logging
from dataclasses import dataclass, field
from typing import Any


logger = logging.getLogger(__name__)


@dataclass
class Fault:
    """Answer ``ret_code`` (or an HTTP error / timeout) on calls matching path/method/symbol.

    The first ``after`` matching calls pass untouched; then the fault fires ``times`` times
    (``None`` = forever).
    """

    path: str | None = None
    method: str | None = None
    symbol: str | None = None
    ret_code: int | None = None
    ret_msg: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    timeout: bool = False
    times: int | None = 1
    after: int = 0
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str, symbol: str | None) -> bool:
        """True when the call is one this fault targets."""
        return (
            self.path in (None, path)
            and self.method in (None, method)
            and self.symbol in (None, symbol)
        )

    @property
    def exhausted(self) -> bool:
        """True once it has fired ``times`` times."""
        return self.times is not None and self.fired >= self.times

    def consume(self) -> bool:
        """Count one matching call; True when the fault fires on it."""
        self.seen += 1
        if self.seen <= self.after or self.exhausted:
            return False
        self.fired += 1
        return True
