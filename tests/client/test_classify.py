"""Contract table: Bybit retCode -> ccxt class (ccxt's own mapping) -> our failure kind."""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.model import FailureKind


def raised_by_ccxt(ret_code: int, ret_msg: str = "msg", result: Any = None) -> ccxt.BaseError:
    """The exception ccxt's bybit ``handle_errors`` raises for this reply."""
    body = {"retCode": ret_code, "retMsg": ret_msg, "result": result or {}, "time": 1}
    text = json.dumps(body)
    url = "https://api.bybit.com/v5/position/set-leverage"
    with pytest.raises(ccxt.BaseError) as caught:
        ccxt.bybit().handle_errors(200, "OK", url, "POST", {}, text, body, {}, "")
    return caught.value


K = FailureKind


@pytest.mark.parametrize(
    ("ret_code", "ccxt_class", "kind", "retryable"),
    [
        (110026, ccxt.MarginModeAlreadySet, K.NOT_MODIFIED, False),
        (110043, ccxt.BadRequest, K.NOT_MODIFIED, False),  # same class as 10001: the code decides
        (10006, ccxt.RateLimitExceeded, K.RATE_LIMITED, True),
        (10002, ccxt.InvalidNonce, K.TRANSIENT, True),
        (10001, ccxt.BadRequest, K.REFUSED, False),
        (110013, ccxt.BadRequest, K.REFUSED, False),
        (10003, ccxt.AuthenticationError, K.AUTH, False),
        (10004, ccxt.AuthenticationError, K.AUTH, False),
        (10005, ccxt.PermissionDenied, K.PERMISSION, False),
        (100028, ccxt.PermissionDenied, K.NOT_SERVED, False),  # same class as 10005
        (3400045, ccxt.ExchangeError, K.REFUSED, False),
        (110073, ccxt.ExchangeError, K.REFUSED, False),
        (10016, ccxt.ExchangeError, K.TRANSIENT, True),  # "server error": transient (issue 12)
    ],
)
def test_ret_code_contract(
    ret_code: int, ccxt_class: type, kind: FailureKind, retryable: bool
) -> None:
    error = raised_by_ccxt(ret_code)
    assert type(error) is ccxt_class
    failure = classify(error)
    assert (failure.code, failure.kind, failure.retryable, failure.exception) == (
        ret_code,
        kind,
        retryable,
        ccxt_class.__name__,
    )


def test_set_margin_mode_reasons_reach_the_reason_text() -> None:
    error = raised_by_ccxt(
        3400045,
        "Set margin mode failed",
        {"reasons": [{"reasonCode": "3400101", "reasonMsg": "no positions allowed"}]},
    )
    assert classify(error).reason == (
        "ExchangeError 3400045: Set margin mode failed (no positions allowed)"
    )


@pytest.mark.parametrize(
    "error", [ccxt.RequestTimeout("bybit timeout"), ccxt.ExchangeNotAvailable("bybit 503")]
)
def test_network_errors_without_a_body_are_retryable(error: ccxt.BaseError) -> None:
    failure = classify(error)
    assert (failure.code, failure.kind, failure.retryable) == (None, K.TRANSIENT, True)


@pytest.mark.parametrize(
    "error",
    [
        ccxt.BadResponse("POST /v5/position/switch-isolated: Bybit answered an empty body"),
        ccxt.ExchangeError('bybit {"retMsg":"OK","result":{}}'),  # no retCode
    ],
    ids=["garbled", "no-retcode"],
)
def test_answers_that_cannot_be_read_are_transient(error: ccxt.BaseError) -> None:
    failure = classify(error)
    assert (failure.kind, failure.retryable) == (K.UNREADABLE, True)
