"""
THE classification of ccxt exceptions raised for Bybit requests: each becomes a ``Failure``
with a ``FailureKind`` (:mod:`freqtrade_bybit_margin.model`), set here once; everything
downstream decides by the kind.

ccxt maps Bybit's retCodes to its exception classes in ``handle_errors``; several codes share a
class (10001 and 110043 are both ``BadRequest``, 10016 is a bare ``ExchangeError``, 10005 and
100028 are both ``PermissionDenied``), so the retCode carried in the message decides where it is
known, the class where it is not. https://bybit-exchange.github.io/docs/v5/error
"""

from __future__ import annotations

from collections.abc import Mapping

import ccxt

from freqtrade_bybit_margin.client.answers import error_body, ret_code_of
from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.model import Failure, FailureKind


__all__ = ["CODE_KINDS", "classify"]

#: Kinds of the retCodes whose ccxt class does not tell: the time window (10002) and a server
#: error (10016) are transient; 10006 is Bybit's per-UID limit; 100028 and 10028 mean the account
#: type does not serve the endpoint (ccxt: PermissionDenied); "not modified" answers.
CODE_KINDS: Mapping[int, FailureKind] = {
    RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW: FailureKind.TRANSIENT,
    RetCode.SERVER_TIMEOUT: FailureKind.TRANSIENT,
    RetCode.TOO_MANY_VISITS: FailureKind.RATE_LIMITED,
    RetCode.UNIFIED_ACCOUNT_FORBIDDEN: FailureKind.NOT_SERVED,
    RetCode.UNIFIED_ACCOUNT_ONLY: FailureKind.NOT_SERVED,
    RetCode.MARGIN_MODE_NOT_MODIFIED: FailureKind.NOT_MODIFIED,
    RetCode.LEVERAGE_NOT_MODIFIED: FailureKind.NOT_MODIFIED,
}

#: ccxt classes in the order they are tested (a subclass before its base).
CLASS_KINDS: tuple[tuple[type[Exception], FailureKind], ...] = (
    (ccxt.BadResponse, FailureKind.UNREADABLE),
    (ccxt.NetworkError, FailureKind.TRANSIENT),
    (ccxt.PermissionDenied, FailureKind.PERMISSION),
    (ccxt.AuthenticationError, FailureKind.AUTH),
    (ccxt.NotSupported, FailureKind.NOT_SERVED),
)


def classify(error: BaseException) -> Failure:
    """
    The failure ``error`` stands for.

    :param error: a ccxt exception (any other exception is REFUSED, with its message)
    :return: its kind, retCode, one-line reason and ccxt class name
    """
    code = ret_code_of(error)
    return Failure(_kind(error, code), _reason(error, code), code, type(error).__name__)


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
