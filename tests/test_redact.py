"""Credentials are masked in every text: registered values, what looks like a credential or a
signature, every log record of the plugin's logger tree, every failure reason."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from freqtrade_bybit_margin.constants import RetCode
from freqtrade_bybit_margin.model import MarginMode, PairTarget
from freqtrade_bybit_margin.redact import MASK, install_log_filter, register, scrub
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.clock import FakeClock
from tests.sim_clients import sim_client, sim_service


#: this module's own credentials (registration is process-wide: no other test's key)
KEY = "RedactTestKey0042"
SECRET = "RedactTestSecret00000000000000000042"
SIGNATURE = "9f" * 32


def test_registered_values_are_masked_wherever_they_appear() -> None:
    register(KEY, SECRET, None, "abc")

    text = scrub(f"key {KEY}, secret={SECRET}; {KEY[:-1]} abc")

    assert text == f"key {MASK}, secret={MASK}; {KEY[:-1]} abc"  # "abc" is too short to mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'bybit {"retCode":10004,"retMsg":"error sign! origin_string[1700000000000'
            'SomeUnregisteredKey5000{\\"a\\":[1,2]}]","result":{}}',
            'bybit {"retCode":10004,"retMsg":"error sign! origin_string[***]","result":{}}',
        ),
        (
            "error sign! origin_string[1700000000000SomeKey5000 (cut",
            "error sign! origin_string[***",
        ),
        (f"sign {SIGNATURE} end", "sign *** end"),
        (
            "{'X-BAPI-API-KEY': 'SomeKey', 'X-BAPI-SIGN': 'abc', 'X-BAPI-SIGN-TYPE': '2'}",
            "{'X-BAPI-API-KEY': '***', 'X-BAPI-SIGN': '***', 'X-BAPI-SIGN-TYPE': '2'}",
        ),
        (
            "X-BAPI-API-KEY: SomeKey\nX-BAPI-TIMESTAMP: 1",
            "X-BAPI-API-KEY: ***\nX-BAPI-TIMESTAMP: 1",
        ),
        (
            '{"apiKey": "k1", "api_key": "k2", "secret": "s"} GET /x?api_key=k3&sign=s2',
            '{"apiKey": "***", "api_key": "***", "secret": "***"} GET /x?api_key=***&sign=***',
        ),
    ],
    ids=[
        "origin-string",
        "origin-string-cut",
        "hex-signature",
        "header-dict",
        "header-lines",
        "fields",
    ],
)
def test_what_looks_like_a_credential_is_masked_whatever_its_value(
    text: str, expected: str
) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "BTC/USDT:USDT  account-mode+set-leverage  isolated  5x  changed",
        "RateLimitExceeded 10006: Too many visits!",
        "requests resume at 2027-01-15 08:10:00 UTC",
        "orderId 1f2e3d4c-0000-4000-8000-00000000abcd",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_every_record_of_the_plugin_tree_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    register(KEY, SECRET)
    assert install_log_filter() is install_log_filter()  # installed once
    child = logging.getLogger("freqtrade_bybit_margin.a.logger.made.after.install")
    outside = logging.getLogger("someone.else")

    with caplog.at_level(logging.DEBUG):
        child.warning("answer: %s", f"origin_string[1{KEY}5000{{}}] secret {SECRET}")
        try:
            raise ValueError(f"bybit echoed {KEY}")
        except ValueError:
            child.exception("failed")
        outside.warning("not ours: %s", KEY)

    ours = [r for r in caplog.records if r.name.startswith("freqtrade_bybit_margin")]
    assert [r.getMessage() for r in ours] == [
        f"answer: origin_string[{MASK}] secret {MASK}",
        "failed",
    ]
    assert KEY not in caplog.text.replace("not ours: " + KEY, "")
    assert f"bybit echoed {MASK}" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.name == "someone.else"] == [
        f"not ours: {KEY}"
    ]


def test_a_signature_error_leaks_neither_key_nor_secret(caplog: pytest.LogCaptureFixture) -> None:
    register(KEY, SECRET)
    install_log_filter()
    clock = FakeClock()
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN", clock=clock.ms)
    sim.add_api_key(KEY, SECRET)
    exchange = sim_client(sim, types=("linear",), probe=False, clock=clock.ms)
    exchange.apiKey, exchange.secret = KEY, "WrongSecret0000000000000000000000042"
    service = sim_service(exchange, clock=clock.time, sleep=clock.sleep, max_workers=1)

    with caplog.at_level(logging.DEBUG, logger="freqtrade_bybit_margin"):
        results = service.prepare([PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal(3))])

    echoed = [e for e in sim.journal if e.ret_code == RetCode.SIGNATURE_ERROR]
    assert echoed
    assert KEY in echoed[0].ret_msg  # Bybit's answer carries the key ...
    reasons = [r.reason for r in results] + [r.failure.reason for r in results if r.failure]
    plugin = [r for r in caplog.records if r.name.startswith("freqtrade_bybit_margin")]
    texts = reasons + [r.getMessage() for r in plugin] + [r.exc_text or "" for r in plugin]
    assert not any(KEY in text or SECRET in text for text in texts)  # ... no text of ours does
    assert all(not r.confirmed for r in results)
