"""Record of every request the simulator answered (in order), for tests to assert on."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    """One request and the simulator's answer. The API secret is never stored.

    ``http_status`` 0 means no answer was sent (a dropped connection); ``fault`` names the
    injected fault that shaped the answer (e.g. ``"drop/applied"``), if any; ``client_ip`` is
    the peer address (requests-mock: ``127.0.0.1``); ``at_order`` what an order met.
    """

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
    fault: str | None = None
    response_headers: dict[str, str] | None = None
    client_ip: str | None = None
    at_order: dict[str, Any] | None = None
    """``order/create`` only: the symbol's ``trade_mode``, ``leverage`` (/ ``sell_leverage``),
    ``position_mode``, ``position_size`` and the ``account_margin_mode`` the order met (before it
    was applied), whether it was ``reduce_only``, and the ``order_id`` it got."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return asdict(self)
