"""
What an API key may do, and what ``GET /v5/user/query-api`` says about it: read-only flag,
permissions, bound IPs, expiry.

https://bybit-exchange.github.io/docs/v5/user/apikey-info : ``readOnly`` (0 read-write, 1
read-only), ``permissions`` (``ContractTrade: ["Order", "Position"]``...), ``ips`` (bound IPs,
``["*"]`` when none), ``deadlineDay`` / ``expiredAt`` ("Only for those api key with no IP bound
or the password has been changed"; the page's IP-bound example reports ``-2`` and
``1970-01-01T00:00:00Z``). Enforcement (:func:`access_error`): 10005 permission denied,
10010 unmatched IP, 33004 expired (docs/v5/error.mdx).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator.exceptions import (
    ApiKeyExpiredError,
    PermissionDeniedError,
    SimulatorApiError,
    UnmatchedIpError,
)


DAY_MS = 86_400_000
#: the ``ips`` of a key bound to no IP
ANY_IP = "*"
#: ``deadlineDay`` / ``expiredAt`` of a key that does not expire (apikey-info.mdx example)
NO_DEADLINE_DAY = -2
NO_EXPIRY = "1970-01-01T00:00:00Z"

#: Permissions of a default read-write master key (apikey-info.mdx field list)
DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "ContractTrade": ["Order", "Position"],
    "Spot": ["SpotTrade"],
    "Wallet": ["AccountTransfer", "SubMemberTransfer"],
    "Options": ["OptionsTrade"],
    "Derivatives": ["DerivativesTrade"],
    "CopyTrading": [],
    "BlockTrade": [],
    "Exchange": [],
    "NFT": [],
    "Affiliate": [],
    "Earn": [],
}

#: The ``(group, permission)`` a private POST needs. Bybit names the ContractTrade permissions
#: "Order" and "Position" (apikey-info.mdx) without a per-endpoint table; the simulator maps
#: leverage, margin-mode and position-mode changes to "Position" and order entry to "Order".
REQUIRED_PERMISSION: dict[str, tuple[str, str]] = {
    Endpoint.SWITCH_ISOLATED: ("ContractTrade", "Position"),
    Endpoint.SET_LEVERAGE: ("ContractTrade", "Position"),
    Endpoint.SET_MARGIN_MODE: ("ContractTrade", "Position"),
    Endpoint.SWITCH_POSITION_MODE: ("ContractTrade", "Position"),
    Endpoint.ORDER_CREATE: ("ContractTrade", "Order"),
    Endpoint.ORDER_CANCEL: ("ContractTrade", "Order"),
    Endpoint.ORDER_CANCEL_ALL: ("ContractTrade", "Order"),
}


def parse_iso_ms(text: str) -> int:
    """Epoch ms of an ISO-8601 time (``Z`` or an offset; naive means UTC).

    :raise ValueError: naming the text and the allowed form
    """
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ValueError(
            f"expires_at {text!r} is not allowed; allowed: an ISO-8601 time such as "
            "2026-03-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def iso_of_ms(ms: int) -> str:
    """``2026-03-01T00:00:00Z`` form of epoch ms."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class KeyProfile:
    """What a key may do and how ``query-api`` describes it.

    :param read_only: ``readOnly`` 1: every private POST answers 10005
    :param permissions: Bybit's ``permissions`` object (default :data:`DEFAULT_PERMISSIONS`)
    :param ips: bound IPs (``("*",)``: none); other IPs get 10010
    :param expires_at: ISO-8601 expiry; default: ``SimKnobs.unbound_key_lifetime_days`` after
        the key was added for an unbound key, never for an IP-bound one
    :param deadline_day: ``deadlineDay`` to report instead of the days left
    """

    read_only: bool = False
    permissions: Mapping[str, Sequence[str]] | None = None
    ips: tuple[str, ...] = (ANY_IP,)
    expires_at: str | None = None
    deadline_day: int | None = None

    def __post_init__(self) -> None:
        if not self.ips or not all(isinstance(ip, str) and ip for ip in self.ips):
            raise ValueError(f"ips {self.ips!r} is not allowed; allowed: ['*'] or IP strings")
        if self.expires_at is not None:
            parse_iso_ms(self.expires_at)
        if self.permissions is not None:
            for group, names in self.permissions.items():
                if not isinstance(names, list | tuple) or not all(
                    isinstance(n, str) for n in names
                ):
                    raise ValueError(
                        f"permissions[{group!r}] = {names!r} is not allowed; allowed: a list "
                        'of names, e.g. ["Order", "Position"]'
                    )

    @property
    def bound(self) -> bool:
        """True when the key is bound to IPs."""
        return tuple(self.ips) != (ANY_IP,)

    def granted(self, group: str, name: str) -> bool:
        """True when the key holds permission ``name`` of ``group``."""
        perms = DEFAULT_PERMISSIONS if self.permissions is None else self.permissions
        return name in perms.get(group, ())


@dataclass
class KeyRecord:
    """One accepted key: its UID, profile and when it was added (epoch ms)."""

    uid: int
    profile: KeyProfile = field(default_factory=KeyProfile)
    created_ms: int = 0

    def expiry_ms(self, lifetime_days: int) -> int | None:
        """When the key expires (``None``: never)."""
        if self.profile.expires_at is not None:
            return parse_iso_ms(self.profile.expires_at)
        if self.profile.bound:
            return None
        return self.created_ms + lifetime_days * DAY_MS


def access_error(
    record: KeyRecord,
    *,
    method: str,
    path: str,
    client_ip: str,
    now_ms: int,
    lifetime_days: int,
    expired_code: int,
) -> SimulatorApiError | None:
    """Why this key may not make this private request, or ``None``.

    Order: expired (33004), unbound IP (10010), read-only POST / missing permission (10005).
    """
    expiry = record.expiry_ms(lifetime_days)
    if expiry is not None and now_ms >= expiry:
        return ApiKeyExpiredError(code=expired_code)
    profile = record.profile
    if profile.bound and client_ip not in profile.ips:
        return UnmatchedIpError()
    if method == "POST" and profile.read_only:
        return PermissionDeniedError()
    needed = REQUIRED_PERMISSION.get(path)
    if needed is not None and not profile.granted(*needed):
        return PermissionDeniedError()
    return None


def api_key_info(
    api_key: str, record: KeyRecord, *, uta: int, now_ms: int, lifetime_days: int
) -> dict[str, Any]:
    """The ``result`` of ``/v5/user/query-api`` for the key that signed the request."""
    profile = record.profile
    expiry = record.expiry_ms(lifetime_days)
    if expiry is None:
        deadline, expired_at = NO_DEADLINE_DAY, NO_EXPIRY
    else:
        deadline, expired_at = max((expiry - now_ms) // DAY_MS, 0), iso_of_ms(expiry)
    perms = DEFAULT_PERMISSIONS if profile.permissions is None else profile.permissions
    return {
        "id": "1",
        "note": "bybit simulator",
        "apiKey": api_key,
        "readOnly": int(profile.read_only),
        "secret": "",
        "permissions": {group: list(names) for group, names in perms.items()},
        "ips": list(profile.ips),
        "type": 1,
        "deadlineDay": profile.deadline_day if profile.deadline_day is not None else deadline,
        "expiredAt": expired_at,
        "createdAt": iso_of_ms(record.created_ms),
        "unified": 0,
        "uta": uta,
        "userID": record.uid,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }
