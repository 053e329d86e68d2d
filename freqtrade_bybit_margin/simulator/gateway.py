"""
The checks in front of the exchange, before a request reaches the rate limiter: the IP limit
(HTTP 403), authentication (HTTP 401 without auth headers, then 10003 / 10002 / 10004) and
what the key may do (33004 expired, 10010 unbound IP, 10005 permission).
"""

from typing import Protocol

from freqtrade_bybit_margin.simulator import auth
from freqtrade_bybit_margin.simulator.auth import ApiKeys
from freqtrade_bybit_margin.simulator.backend import AccountBackend
from freqtrade_bybit_margin.simulator.exceptions import HttpRefusal
from freqtrade_bybit_margin.simulator.faults import Fault
from freqtrade_bybit_margin.simulator.ipban import IpGuard
from freqtrade_bybit_margin.simulator.keys import access_error
from freqtrade_bybit_margin.simulator.ratelimit import RateLimiter


class Host(Protocol):
    """What the pipeline reads from the simulator."""

    backend: AccountBackend
    faults: list[Fault]
    limiter: RateLimiter
    keys: ApiKeys
    ipguard: IpGuard
    rate_limits: bool


class Marks(Protocol):
    """Where the journal notes whether a request was signed and verified."""

    signed: bool
    signature_ok: bool | None


def guard_ip(host: Host, client_ip: str, now: int) -> None:
    """Refuse a banned IP; count the request against its IP's five-second window
    (``SimKnobs.ip_limit``, with ``rate_limits`` on).

    :raise HttpRefusal: 403 "access too frequent" on a breach and for the whole ban
    """
    knobs = host.backend.knobs
    guard = host.ipguard
    admitted = not guard.banned(client_ip, now)
    if admitted and host.rate_limits and knobs.ip_limit is not None:
        ban_ms = int(knobs.ip_ban_seconds * 1000)
        admitted = guard.admit(client_ip, now, limit=knobs.ip_limit, ban_ms=ban_ms)
    if not admitted:
        until = guard.bans.get(client_ip, now)
        raise HttpRefusal(403, knobs.ip_ban_body, f"IP {client_ip} banned until {until}")


def authenticate(
    host: Host, req_headers: dict[str, str], payload: str, *, private: bool, now: int, marks: Marks
) -> tuple[str | None, int | None]:
    """Check the signature of private (and of any signed) requests; return key and UID.

    :param req_headers: headers with lower-case names
    :param payload: the raw query (GET) or body (POST)
    :raise HttpRefusal: 401 for a private request without its authentication headers
    :raise SimulatorApiError: 10003 / 10002 / 10004 for a private request
    """
    if not (private or auth.H_SIGN in req_headers):
        return None, None
    if private:
        missing = auth.missing_headers(req_headers)
        if missing:
            body = host.backend.knobs.http_401_body
            raise HttpRefusal(401, body, f"missing {', '.join(missing)}", "text/html")
    checked = auth.check(req_headers, payload, host.keys.secrets, now)
    marks.signed, marks.signature_ok = checked.signed, checked.signature_ok
    if checked.error is not None:
        if private:
            raise checked.error
        return None, None
    key = checked.api_key
    return key, host.keys.uid(key) if key is not None else None


def check_access(
    host: Host, api_key: str, *, method: str, path: str, client_ip: str, now: int
) -> None:
    """What the key may do (see :func:`~.keys.access_error`).

    :raise SimulatorApiError: 33004, 10010 or 10005
    """
    knobs = host.backend.knobs
    error = access_error(
        host.keys.record(api_key),
        method=method,
        path=path,
        client_ip=client_ip,
        now_ms=now,
        lifetime_days=knobs.unbound_key_lifetime_days,
        expired_code=knobs.expired_key_ret_code,
    )
    if error is not None:
        raise error
