"""
Classify ccxt exceptions raised for Bybit margin calls, the way freqtrade's exchange layer does.

ccxt maps Bybit's retCodes to its exception classes in ``handle_errors``; several codes share a
class (10001 and 110043 are both ``BadRequest``), so "not modified" answers are told apart by the
retCode carried in the message. https://bybit-exchange.github.io/docs/v5/error
"""

from __future__ import annotations

from dataclasses import dataclass

import ccxt

from freqtrade_bybit_margin.ccxt_ext import bybit_ret_code, error_body
from freqtrade_bybit_margin.constants import RetCode


#: "Already there" answers: the target holds, nothing changed.
NOT_MODIFIED = frozenset({RetCode.MARGIN_MODE_NOT_MODIFIED, RetCode.LEVERAGE_NOT_MODIFIED})

#: Failures that may succeed when tried again (Bybit: time window; ccxt: network and limits).
RETRYABLE_CODES = frozenset({RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW, RetCode.TOO_MANY_VISITS})
RETRYABLE_CLASSES: tuple[type[Exception], ...] = (ccxt.NetworkError,)


@dataclass(frozen=True)
class Failure:
    """A classified exchange failure.

    :param error: ccxt exception class name
    :param code: Bybit retCode, if the exchange answered one
    :param retryable: rate limit, network, time window: worth another try later
    :param reason: one line for logs and tables, never containing credentials
    """

    error: str
    code: int | None
    retryable: bool
    reason: str


def is_not_modified(error: BaseException) -> bool:
    """True for 110026 / 110043 ("margin mode / leverage not modified")."""
    return bybit_ret_code(error) in NOT_MODIFIED


def classify(error: BaseException) -> Failure:
    """Turn a ccxt exception into a :class:`Failure`."""
    code = bybit_ret_code(error)
    # ccxt: RateLimitExceeded, InvalidNonce, RequestTimeout ... are all NetworkError.
    retryable = code in RETRYABLE_CODES or isinstance(error, RETRYABLE_CLASSES)
    return Failure(type(error).__name__, code, retryable, _reason(error, code))


def _reason(error: BaseException, code: int | None) -> str:
    """``"<class> <retCode>: <retMsg> (<set-margin-mode reasons>)"``, or the message."""
    name = type(error).__name__
    body = error_body(error)
    if body is None:
        return f"{name}: {str(error).replace(chr(10), ' ')[:200]}"
    message = str(body.get("retMsg") or body.get("ret_msg") or "")
    result = body.get("result")
    reasons = result.get("reasons") if isinstance(result, dict) else None
    details = "; ".join(
        str(item.get("reasonMsg", "")) for item in reasons or [] if isinstance(item, dict)
    )
    text = f"{message} ({details})" if details else message
    return f"{name} {code}: {text}" if code is not None else text
