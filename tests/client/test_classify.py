"""Contract table: Bybit retCode -> ccxt class (ccxt's own mapping) -> our failure kind."""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from freqtrade_bybit_margin import redact
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
        (10009, ccxt.AuthenticationError, K.REFUSED, False),  # region, not the key
        (110132, ccxt.ExchangeError, K.REFUSED, False),  # product not served in the region
        (110125, ccxt.ExchangeError, K.REFUSED, False),  # trading terms not agreed
        (3200641, ccxt.ExchangeError, K.REFUSED, False),  # collateral at the platform limit
        (33004, ccxt.AuthenticationError, K.AUTH, False),  # the key expired
        (110024, ccxt.BadRequest, K.BLOCKED, True),  # a position: may go away
        (110028, ccxt.BadRequest, K.BLOCKED, True),  # open orders: may go away
        (110029, ccxt.BadRequest, K.NOT_SERVED, False),  # no hedge mode for the symbol
        (110038, ccxt.InvalidOrder, K.NOT_SERVED, False),  # no leverage under portfolio margin
        (110077, ccxt.ExchangeError, K.NOT_SERVED, False),  # "Pm mode cannot support"
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


@pytest.mark.parametrize(
    ("ret_code", "ret_msg", "says"),
    [
        (
            10009,
            "Service Restricted: Access is currently unavailable for your region",
            "does not serve this region",
        ),
        (110132, "Product not available in your region", "this product in this region"),
        (110125, "Please agree to the trading terms", "agree to the product's trading terms"),
        (
            3200641,
            "USDT collateral has reached the platform limit. Disable USDT collateral before "
            "switching margin mode.",
            "disable that coin as collateral on Bybit",
        ),
    ],
)
def test_permanent_refusals_keep_bybits_words_and_say_what_to_do(
    ret_code: int, ret_msg: str, says: str
) -> None:
    failure = classify(raised_by_ccxt(ret_code, ret_msg))
    assert failure.kind is K.REFUSED
    assert ret_msg in failure.reason
    assert says in failure.reason


def raised_for_status(status: int, body: str) -> ccxt.BaseError:
    """The exception ccxt's bybit raises for an HTTP error that carries no envelope."""
    url = "https://api.bybit.com/v5/position/set-leverage"
    with pytest.raises(ccxt.BaseError) as caught:
        ccxt.bybit().handle_http_status_code(status, "Forbidden", url, "POST", body)
    return caught.value


def test_an_ip_ban_is_told_from_bybits_per_uid_limit() -> None:
    ban = raised_for_status(403, "access too frequent")
    per_uid = raised_by_ccxt(10006, "Too many visits!")

    assert type(ban) is type(per_uid) is ccxt.RateLimitExceeded  # ccxt's class is the same
    assert (classify(ban).kind, classify(ban).code) == (K.IP_BANNED, None)
    assert "access too frequent" in classify(ban).reason
    assert classify(per_uid).kind is K.RATE_LIMITED


def test_a_403_from_a_region_bybit_does_not_serve_is_a_refusal() -> None:
    page = (
        "<HTML><BODY><H1>403 ERROR</H1>The Amazon CloudFront distribution is configured to "
        "block access from your country.</BODY></HTML>"
    )
    failure = classify(raised_for_status(403, page))

    assert (failure.kind, failure.retryable) == (K.REFUSED, False)
    assert "does not serve this country or region" in failure.reason


def test_other_http_errors_keep_their_kind() -> None:
    assert classify(raised_for_status(503, "<html>503</html>")).kind is K.TRANSIENT


def test_no_reason_carries_the_key_bybit_echoes_in_a_signature_error() -> None:
    key, secret = "MyKeyEchoed12345", "MySecret000000000000000000000000001"
    redact.register(key, secret)
    echoed = f'error sign! origin_string[1700000000000{key}5000{{"category":"linear"}}]'

    failure = classify(raised_by_ccxt(10004, echoed))

    assert failure.kind is K.AUTH
    assert key not in failure.reason
    assert "origin_string[***]" in failure.reason
