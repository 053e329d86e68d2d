"""
Classify ccxt exceptions raised for Bybit margin calls: transient (worth another try, with
back-off) or permanent (a refusal that will not change by itself).

ccxt maps Bybit's retCodes to its exception classes in ``handle_errors``; several codes share a
class (10001 and 110043 are both ``BadRequest``, 10016 is a bare ``ExchangeError``), so the
retCode carried in the message decides where it is known.
https://bybit-exchange.github.io/docs/v5/error
"""

from __future__ import annotations

from dataclasses import dataclass

import ccxt

from freqtrade_bybit_margin.answers import NOT_MODIFIED, error_body, ret_code_of
from freqtrade_bybit_margin.constants import RetCode


__all__ = ["Failure", "classify", "is_not_modified", "is_rate_limited"]

#: Bybit codes that say "try again": time window (10002), rate limit (10006), server error or
#: timeout (10016).
TRANSIENT_CODES = frozenset(
    {RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW, RetCode.TOO_MANY_VISITS, RetCode.SERVER_TIMEOUT}
)

#: ccxt classes that are transient whatever the code: network trouble, rate limits, timeouts,
#: 5xx (ExchangeNotAvailable), and answers that could not be parsed (BadResponse).
TRANSIENT_CLASSES: tuple[type[Exception], ...] = (ccxt.NetworkError, ccxt.BadResponse)


@dataclass(frozen=True)
class Failure:
    """A classified exchange failure.

    :param error: ccxt exception class name
    :param code: Bybit retCode, if the exchange answered one
    :param retryable: transient: worth another try later
    :param reason: one line for logs and tables, never containing credentials
    """

    error: str
    code: int | None
    retryable: bool
    reason: str


def is_not_modified(error: BaseException) -> bool:
    """True for 110026 / 110043 ("margin mode / leverage not modified")."""
    return ret_code_of(error) in NOT_MODIFIED


def is_rate_limited(error: BaseException) -> bool:
    """True for Bybit's per-UID limit (10006), whatever class ccxt gave it."""
    return ret_code_of(error) == RetCode.TOO_MANY_VISITS


def classify(error: BaseException) -> Failure:
    """Turn a ccxt exception into a :class:`Failure`."""
    code = ret_code_of(error)
    retryable = (
        code in TRANSIENT_CODES
        or isinstance(error, TRANSIENT_CLASSES)
        # ccxt's fallback for an answer it could not read (an object without retCode, a
        # code it does not know with no body): nothing says the request was refused.
        or (type(error) is ccxt.ExchangeError and code is None)
    )
    return Failure(type(error).__name__, code, retryable, _reason(error, code))


def _reason(error: BaseException, code: int | None) -> str:
    """``"<class> <retCode>: <retMsg> (<set-margin-mode reasons>)"``, or the message."""
    name = type(error).__name__
    body = error_body(error)
    if body is None or code is None:
        return f"{name}: {str(error).replace(chr(10), ' ')[:200]}"
    message = str(body.get("retMsg") or body.get("ret_msg") or "")
    result = body.get("result")
    reasons = result.get("reasons") if isinstance(result, dict) else None
    details = "; ".join(
        str(item.get("reasonMsg", "")) for item in reasons or [] if isinstance(item, dict)
    )
    text = f"{message} ({details})" if details else message
    return f"{name} {code}: {text}"
