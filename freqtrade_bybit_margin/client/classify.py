"""
THE classification of ccxt exceptions raised for Bybit requests: each becomes a ``Failure``
with a ``FailureKind`` (:mod:`freqtrade_bybit_margin.model`), set here once; everything
downstream decides by the kind. Every reason is scrubbed of credentials
(:func:`freqtrade_bybit_margin.redact.scrub`): Bybit echoes the API key in signature errors.

ccxt maps Bybit's retCodes to its exception classes in ``handle_errors``; several codes share a
class (10001 and 110043 are both ``BadRequest``, 10016 is a bare ``ExchangeError``, 10005 and
100028 are both ``PermissionDenied``), so the retCode carried in the message decides where it is
known, the class where it is not. https://bybit-exchange.github.io/docs/v5/error

HTTP 403 is not an envelope: ccxt's bybit maps it to ``RateLimitExceeded`` (as it maps 10006)
and words it ``"bybit GET <url> 403 Forbidden <body>"``. Bybit answers 403 when the IP broke
the limit of 600 requests per 5 s ("access too frequent": stop every session for at least 10
minutes) and when the region is not served (CloudFront's page "configured to block access from
your country"). https://bybit-exchange.github.io/docs/v5/rate-limit ,
https://bybit-exchange.github.io/docs/v5/guide
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import ccxt

from freqtrade_bybit_margin.client.answers import error_body, ret_code_of
from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.model import Failure, FailureKind
from freqtrade_bybit_margin.redact import scrub


__all__ = [
    "CODE_KINDS",
    "IpBanPause",
    "Throttled",
    "Withheld",
    "classify",
    "http_status_of",
    "max_leverage_of",
    "utc",
]

#: Kinds of the retCodes whose ccxt class does not tell: the time window (10002) and a server
#: error (10016) are transient; 10006 is Bybit's per-UID limit; 100028 and 10028 mean the account
#: type does not serve the endpoint (ccxt: PermissionDenied); "not modified" answers; a region
#: Bybit does not serve (10009, ccxt: AuthenticationError) and the other permanent refusals.
CODE_KINDS: Mapping[int, FailureKind] = {
    RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW: FailureKind.TRANSIENT,
    RetCode.SERVER_TIMEOUT: FailureKind.TRANSIENT,
    RetCode.TOO_MANY_VISITS: FailureKind.RATE_LIMITED,
    RetCode.UNIFIED_ACCOUNT_FORBIDDEN: FailureKind.NOT_SERVED,
    RetCode.UNIFIED_ACCOUNT_ONLY: FailureKind.NOT_SERVED,
    RetCode.MARGIN_MODE_NOT_MODIFIED: FailureKind.NOT_MODIFIED,
    RetCode.LEVERAGE_NOT_MODIFIED: FailureKind.NOT_MODIFIED,
    RetCode.REGION_RESTRICTED: FailureKind.REFUSED,
    RetCode.PRODUCT_REGION_RESTRICTED: FailureKind.REFUSED,
    RetCode.TERMS_NOT_AGREED: FailureKind.REFUSED,
    RetCode.COLLATERAL_LIMIT: FailureKind.REFUSED,
    RetCode.API_KEY_EXPIRED: FailureKind.AUTH,
    RetCode.POSITION_EXISTS: FailureKind.BLOCKED,
    RetCode.OPEN_ORDERS_EXIST: FailureKind.BLOCKED,
    RetCode.HEDGE_NOT_SUPPORTED: FailureKind.NOT_SERVED,
    RetCode.PORTFOLIO_LEVERAGE: FailureKind.NOT_SERVED,
    RetCode.PM_NOT_SUPPORTED: FailureKind.NOT_SERVED,
}


#: ccxt classes in the order they are tested (a subclass before its base).
CLASS_KINDS: tuple[tuple[type[Exception], FailureKind], ...] = (
    (ccxt.BadResponse, FailureKind.UNREADABLE),
    (ccxt.NetworkError, FailureKind.TRANSIENT),
    (ccxt.PermissionDenied, FailureKind.PERMISSION),
    (ccxt.AuthenticationError, FailureKind.AUTH),
    (ccxt.NotSupported, FailureKind.NOT_SERVED),
)

#: What to do, appended to Bybit's own words for refusals that only the user can lift.
HINTS: Mapping[int, str] = {
    RetCode.REGION_RESTRICTED: "Bybit does not serve this region; run the bot from one it serves",
    RetCode.PRODUCT_REGION_RESTRICTED: "Bybit does not offer this product in this region",
    RetCode.TERMS_NOT_AGREED: "agree to the product's trading terms on Bybit's website first",
    RetCode.COLLATERAL_LIMIT: (
        "disable that coin as collateral on Bybit (unified account collateral settings), "
        "then the account margin mode can be switched"
    ),
    RetCode.API_KEY_EXPIRED: "create a new API key (keys bound to an IP do not expire)",
}

#: ccxt's ``handle_http_status_code`` message: ``"<id> <METHOD> <url> <status> <reason> <body>"``
_HTTP_MESSAGE = re.compile(r"^\S+ [A-Z]+ \S+ (\d{3})\b")
#: words of a 403 that refuses the region rather than the request rate
_REGION_WORDS = ("country", "region")
_TAGS = re.compile(r"<[^>]*>")
#: 110013's ``cannot set leverage [3000] gt maxLeverage [2500] by risk limit`` (values x100):
#: Bybit's live maximum, lowered by its automatic risk limits (reference bybit-v5-margin.md,
#: "Corrections and additions (2026-12-02)")
_MAX_LEVERAGE = re.compile(r"gt\s+maxLeverage\s*\[\s*(\d+(?:\.\d+)?)\s*\]", re.IGNORECASE)


class Withheld(ccxt.RateLimitExceeded):  # type: ignore[misc]  # ccxt is untyped
    """A request the service did not send, or stopped retrying, because Bybit said to wait.

    :param reason: one line naming what Bybit said and until when (UTC)
    :param until: unix time when requests may go again
    """

    kind: FailureKind = FailureKind.RATE_LIMITED
    code: int | None = None

    def __init__(self, reason: str, until: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


class IpBanPause(Withheld):
    """Not sent: Bybit banned this IP (HTTP 403 "access too frequent"); every request of the
    service is paused until :attr:`until`."""

    kind = FailureKind.IP_BANNED


class Throttled(Withheld):
    """Given up: one endpoint (for one symbol) answered 10006 again and again, and its next try
    would start after the request's deadline."""

    kind = FailureKind.RATE_LIMITED
    code = int(RetCode.TOO_MANY_VISITS)


def classify(error: BaseException) -> Failure:
    """
    The failure ``error`` stands for.

    :param error: a ccxt exception (any other exception is REFUSED, with its message)
    :return: its kind, retCode, one-line reason (credentials masked) and ccxt class name
    """
    name = type(error).__name__
    if isinstance(error, Withheld):
        return Failure(error.kind, scrub(error.reason), error.code, name)
    code = ret_code_of(error)
    if code is None and http_status_of(error) == 403:
        kind, reason = _forbidden(error)
        return Failure(kind, scrub(reason), None, name)
    maximum = max_leverage_of(error) if code == RetCode.LEVERAGE_RISK_LIMIT else None
    return Failure(_kind(error, code), scrub(_reason(error, code)), code, name, maximum)


def max_leverage_of(error: BaseException) -> Decimal | None:
    """
    Bybit's maximum leverage named in a 110013 answer: ``gt maxLeverage [2500]`` -> 25.

    :param error: the ccxt exception carrying Bybit's answer
    :return: the maximum (Bybit's value / 100), or None when the answer names none
    """
    body = error_body(error)
    text = str(body.get("retMsg") or "") if body is not None else str(error)
    match = _MAX_LEVERAGE.search(text) or _MAX_LEVERAGE.search(str(error))
    if match is None:
        return None
    maximum = Decimal(match.group(1)) / 100
    return maximum if maximum >= 1 else None


def http_status_of(error: BaseException) -> int | None:
    """The HTTP status ccxt wrote into ``error``'s message, for answers that are no envelope."""
    match = _HTTP_MESSAGE.match(str(error))
    return int(match.group(1)) if match else None


def utc(when: float) -> str:
    """``"2027-01-15 08:10:00 UTC"``."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _forbidden(error: BaseException) -> tuple[FailureKind, str]:
    """HTTP 403: the region refused (permanent), else the IP limit's ban."""
    text = str(error)
    match = _HTTP_MESSAGE.match(text)
    page = _TAGS.sub(" ", scrub(text[match.end() if match else 0 :]))
    words = " ".join(page.split()).removeprefix("Forbidden").strip()
    sentences = [s.strip() for s in words.split(". ")]
    region = [s for s in sentences if any(word in s.lower() for word in _REGION_WORDS)]
    if region:
        return FailureKind.REFUSED, (
            f"HTTP 403: Bybit does not serve this country or region ({region[0][:120]!r}); "
            "run the bot from a region Bybit serves"
        )
    shown = words[:80] + ("..." if len(words) > 80 else "")
    return FailureKind.IP_BANNED, (
        f"HTTP 403 ({shown!r}): Bybit banned this IP for too many requests (its limit is 600 "
        "per 5 s from one IP, all traffic); every session must stop for at least 10 minutes"
    )


def _kind(error: BaseException, code: int | None) -> FailureKind:
    if code is not None and code in CODE_KINDS:
        return CODE_KINDS[code]
    for klass, kind in CLASS_KINDS:
        if isinstance(error, klass):
            return kind
    if type(error) is ccxt.ExchangeError and code is None:
        # ccxt's fallback for an answer it could not read (an object without retCode, a code
        # it does not know with no body): nothing says the request was refused.
        return FailureKind.UNREADABLE
    return FailureKind.REFUSED


def _reason(error: BaseException, code: int | None) -> str:
    """``"<class> <retCode>: <retMsg> (<set-margin-mode reasons>); <what to do>"``, or the
    message."""
    name = type(error).__name__
    body = error_body(error)
    if body is None or code is None:
        return f"{name}: {scrub(str(error)).replace(chr(10), ' ')[:200]}"
    message = str(body.get("retMsg") or body.get("ret_msg") or "")
    result = body.get("result")
    reasons = result.get("reasons") if isinstance(result, dict) else None
    details = "; ".join(
        str(item.get("reasonMsg", "")) for item in reasons or [] if isinstance(item, dict)
    )
    text = f"{message} ({details})" if details else message
    hint = HINTS.get(code)
    return f"{name} {code}: {text}" + (f"; {hint}" if hint else "")
