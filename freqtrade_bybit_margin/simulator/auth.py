"""
Independent verification of Bybit V5 request signing (HMAC-SHA256 only).

String to sign: ``timestamp + apiKey + recvWindow + payload`` where the payload is the raw
query string (GET) or the raw body (POST) exactly as received; the recv window is left out
when its header is absent. Timestamp rule: ``server - recv_window <= ts < server + 1000``.
https://bybit-exchange.github.io/docs/v5/guide
"""

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from freqtrade_bybit_margin.simulator.exceptions import (
    InvalidApiKeyError,
    SignatureError,
    SimulatorApiError,
    TimestampError,
)
from freqtrade_bybit_margin.simulator.keys import KeyProfile, KeyRecord


DEFAULT_RECV_WINDOW = 5000
#: how far ahead of the server clock a timestamp may be (ms)
FUTURE_TOLERANCE_MS = 1000
H_KEY = "x-bapi-api-key"
H_TIMESTAMP = "x-bapi-timestamp"
H_SIGN = "x-bapi-sign"
H_RECV_WINDOW = "x-bapi-recv-window"
AUTH_HEADERS = (H_KEY, H_TIMESTAMP, H_SIGN)


class ApiKeys:
    """The API keys the simulator accepts, each with its secret, the UID it belongs to and its
    :class:`~.keys.KeyProfile` (permissions, IPs, expiry).

    Bybit counts its rate limits per UID, so every key of one UID spends one budget.
    """

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._records: dict[str, KeyRecord] = {}

    def add(
        self,
        api_key: str,
        api_secret: str,
        uid: int,
        profile: KeyProfile | None = None,
        created_ms: int = 0,
    ) -> None:
        """Accept ``api_key`` signed with ``api_secret`` as a key of ``uid``.

        :raise ValueError: for an empty key or secret
        """
        if not api_key or not api_secret:
            raise ValueError("api_key and api_secret must be non-empty strings")
        self._secrets[api_key] = api_secret
        self._records[api_key] = KeyRecord(uid, profile or KeyProfile(), created_ms)

    @property
    def secrets(self) -> Mapping[str, str]:
        """Key -> secret (never rendered anywhere)."""
        return self._secrets

    def uid(self, api_key: str) -> int:
        """The UID of a known key."""
        return self._records[api_key].uid

    def record(self, api_key: str) -> KeyRecord:
        """UID, profile and creation time of a known key."""
        return self._records[api_key]

    def __contains__(self, api_key: object) -> bool:
        return api_key in self._secrets

    def __repr__(self) -> str:
        return f"ApiKeys({sorted((k, r.uid) for k, r in self._records.items())!r})"


def sign(secret: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``payload`` under ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def origin_string(timestamp: str, api_key: str, recv_window: str | None, payload: str) -> str:
    """The string Bybit signs (recv window omitted when the client sent none)."""
    return f"{timestamp}{api_key}{recv_window or ''}{payload}"


@dataclass(frozen=True)
class AuthResult:
    """Outcome of checking one request: ``error`` is None when it may proceed."""

    signed: bool
    signature_ok: bool | None
    api_key: str | None
    error: SimulatorApiError | None


def missing_headers(headers: Mapping[str, str]) -> list[str]:
    """The authentication headers a request lacks (``headers`` with lower-case names): a
    private request without them gets HTTP 401 (docs/v5/error.mdx, HTTP 401 "Need to put
    authentication params in the request header")."""
    return [h for h in AUTH_HEADERS if not headers.get(h)]


def check(
    headers: Mapping[str, str], payload: str, secrets: Mapping[str, str], now_ms: int
) -> AuthResult:
    """Check key, timestamp window and signature; ``headers`` has lower-case names.

    Order as Bybit: 10003 unknown key, 10002 timestamp, 10004 signature.
    """
    api_key = headers.get(H_KEY)
    given = headers.get(H_SIGN)
    signed = given is not None
    timestamp = headers.get(H_TIMESTAMP, "")
    recv_window = headers.get(H_RECV_WINDOW)
    secret = secrets.get(api_key) if api_key else None
    ok: bool | None = None
    origin = ""
    if secret is not None and signed:
        origin = origin_string(timestamp, api_key or "", recv_window, payload)
        ok = hmac.compare_digest(sign(secret, origin), (given or "").lower())
    error: SimulatorApiError | None = None
    if secret is None:
        error = InvalidApiKeyError()
    elif not _timestamp_ok(timestamp, recv_window, now_ms):
        error = TimestampError(
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{timestamp}],server_timestamp[{now_ms}],"
            f"recv_window[{recv_window or DEFAULT_RECV_WINDOW}]"
        )
    elif not ok:
        error = SignatureError(f"error sign! origin_string[{origin}]")
    return AuthResult(signed=signed, signature_ok=ok, api_key=api_key, error=error)


def _timestamp_ok(timestamp: str, recv_window: str | None, now_ms: int) -> bool:
    try:
        ts = int(timestamp)
        window = int(recv_window) if recv_window else DEFAULT_RECV_WINDOW
    except ValueError:
        return False
    return now_ms - window <= ts < now_ms + FUTURE_TOLERANCE_MS
