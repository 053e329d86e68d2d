"""THE test side's Bybit V5 signer, written from Bybit's recipe and independent of the code
under test: ``HMAC_SHA256(secret, timestamp + apiKey + recvWindow + payload)`` in lower-case
hex, the payload being the raw query (GET) or the raw body (POST).
https://bybit-exchange.github.io/docs/v5/guide"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET


def sign(secret: str, origin: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``origin``."""
    return hmac.new(secret.encode(), origin.encode(), hashlib.sha256).hexdigest()


def expected_signature(headers: Mapping[str, str], payload: str, secret: str) -> str:
    """What ``X-BAPI-SIGN`` must be for a request sent with ``headers`` and ``payload``."""
    origin = headers["X-BAPI-TIMESTAMP"] + headers["X-BAPI-API-KEY"]
    return sign(secret, origin + headers.get("X-BAPI-RECV-WINDOW", "") + payload)


def signed_headers(
    payload: str,
    ts: int,
    *,
    key: str = DEFAULT_API_KEY,
    secret: str = DEFAULT_API_SECRET,
    recv_window: str | None = "5000",
) -> dict[str, str]:
    """X-BAPI-* headers for ``payload`` signed at ``ts`` (epoch ms)."""
    headers = {
        "X-BAPI-API-KEY": key,
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-SIGN": sign(secret, f"{ts}{key}{recv_window or ''}{payload}"),
        "Content-Type": "application/json",
    }
    if recv_window is not None:
        headers["X-BAPI-RECV-WINDOW"] = recv_window
    return headers
