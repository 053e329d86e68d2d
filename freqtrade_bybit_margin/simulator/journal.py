"""Record of every request the simulator answered (in order), for tests to assert on."""

import logging
from dataclasses import asdict, dataclass
from typing import Any


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalEntry:
    """One request and the simulator's answer. The API secret is never stored."""

    seq: int
    time_ms: int
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    raw_query: str
    raw_body: str
    headers: dict[str, str]
    signed: bool
    signature_ok: bool | None
    http_status: int
    ret_code: int | None
    ret_msg: str
    symbol: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return asdict(self)
