"""The ``--json`` contract: the keys and types of the plan / apply / status / error documents."""

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from freqtrade_bybit_margin.cli.documents import (
    ERROR_TYPES,
    SCHEMA_VERSION,
    Header,
    apply_document,
    dump_json,
    error_document,
    plan_document,
    status_document,
)
from freqtrade_bybit_margin.constants import AccountMarginMode
from freqtrade_bybit_margin.model import (
    AccountType,
    Failure,
    FailureKind,
    MarginMode,
    Mechanism,
    Outcome,
    PairResult,
    PairTarget,
)
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    Action,
    PairPlan,
    Plan,
)
from freqtrade_bybit_margin.service.reader import PairState
from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET

from .helpers import PAIRS, TARGETS, Server, run, write_config, writes


HEAD = {
    "schema_version": int,
    "command": str,
    "account_type": str,
    "account_margin_mode": (str, type(None)),
    "endpoint": str,
    "notes": list,
    "pairs": list,
}
PLAN_PAIR = {
    "pair": str,
    "mechanism": str,
    "current_margin_mode": (str, type(None)),
    "current_leverage": (float, type(None)),
    "target_margin_mode": str,
    "target_leverage": float,
    "action": str,
    "reason": str,
    "open_position": bool,
    "open_orders": int,
    "position_mode": (str, type(None)),
}
APPLY_PAIR = {
    "pair": str,
    "mechanism": str,
    "margin_mode": str,
    "leverage": float,
    "outcome": str,
    "confirmed": bool,
    "reason": str,
    "error": (str, type(None)),
    "kind": (str, type(None)),
    "retryable": bool,
    "requests": int,
}
STATUS_PAIR = {
    "pair": str,
    "mechanism": str,
    "margin_mode": (str, type(None)),
    "leverage": (float, type(None)),
    "open_position": bool,
    "position_side": (str, type(None)),
    "position_size": float,
    "open_orders": int,
    "position_mode": str,
}
ACCOUNT_MODE = {"current": (str, type(None)), "target": str, "action": str, "reason": str}


def assert_shape(document: dict[str, Any], shape: dict[str, Any]) -> None:
    """Exactly the keys of ``shape``, each of its type(s)."""
    assert set(document) == set(shape)
    for key, kind in shape.items():
        assert isinstance(document[key], kind), (key, document[key])


def roundtrip(document: dict[str, Any]) -> dict[str, Any]:
    """What a program reading stdout gets."""
    out = io.StringIO()
    dump_json(document, out)
    loaded: dict[str, Any] = json.loads(out.getvalue())
    return loaded


TARGET = PairTarget("BTC/USDT:USDT", MarginMode.ISOLATED, Decimal("5"))
HEADER = Header("plan", AccountType.UTA2, "PORTFOLIO_MARGIN", "http://127.0.0.1:1", ("a note",))
STEP = AccountModePlan("PORTFOLIO_MARGIN", AccountMarginMode.ISOLATED, Action.SWITCH)


def _plan() -> Plan:
    state = PairState("BTC/USDT:USDT", None, Decimal(10))
    busy = PairState("ETH/USDT:USDT", MarginMode.CROSS, Decimal(10), "Buy", Decimal("0.5"), 1)
    status = AccountStatus(AccountType.UTA2, "PORTFOLIO_MARGIN", [state, busy], ("ETHUSDT",))
    eth = PairTarget("ETH/USDT:USDT", MarginMode.ISOLATED, Decimal("4"))
    pairs = [
        PairPlan(TARGET, Mechanism.ACCOUNT_MODE, state, Action.SWITCH),
        PairPlan(eth, Mechanism.ACCOUNT_MODE, busy, Action.BLOCKED, busy.busy_reason),
        PairPlan(
            PairTarget("SOL/USDT:USDT", MarginMode.ISOLATED, Decimal("3")),
            Mechanism.ACCOUNT_MODE,
            None,
            Action.UNKNOWN,
            "not read",
        ),
    ]
    return Plan(status, pairs, STEP)


def test_plan_document_contract() -> None:
    doc = roundtrip(plan_document(HEADER, _plan()))

    assert_shape(doc, {**HEAD, "summary": dict, "changes": int, "account_mode": dict})
    assert doc["schema_version"] == SCHEMA_VERSION
    for row in doc["pairs"]:
        assert_shape(row, PLAN_PAIR)
    assert [row["action"] for row in doc["pairs"]] == ["switch", "blocked", "unknown"]
    assert doc["pairs"][1]["open_position"] is True
    assert doc["pairs"][2]["current_leverage"] is None  # not read: null, never a guess
    assert doc["summary"] == {"none": 0, "switch": 1, "blocked": 1, "unknown": 1}
    assert doc["changes"] == 1
    assert_shape(doc["account_mode"], ACCOUNT_MODE)
    assert doc["account_mode"]["current"] == "PORTFOLIO_MARGIN"


def test_apply_document_contract() -> None:
    results = [
        PairResult(TARGET, Mechanism.ACCOUNT_MODE, Outcome.CHANGED, True, requests=1),
        PairResult(
            TARGET,
            Mechanism.ACCOUNT_MODE,
            Outcome.FAILED,
            False,
            "refused",
            Failure(FailureKind.REFUSED, "refused", 110013, "BadRequest"),
        ),
    ]
    doc = roundtrip(apply_document(HEADER, results, None))

    assert_shape(doc, {**HEAD, "summary": dict, "ok": bool, "account_mode": type(None)})
    for row in doc["pairs"]:
        assert_shape(row, APPLY_PAIR)
    assert doc["summary"] == {"changed": 1, "unchanged": 0, "skipped": 0, "failed": 1}
    assert doc["ok"] is False
    assert (doc["pairs"][1]["error"], doc["pairs"][1]["kind"]) == ("BadRequest", "refused")
    assert doc["pairs"][1]["retryable"] is False


def test_status_document_contract() -> None:
    plan = _plan()
    status = AccountStatus(
        plan.status.account_type,
        plan.status.account_margin_mode,
        plan.status.pairs,
        ("ETHUSDT", "OTHERUSDT"),
        ("ETH/USDT:USDT", "OTHERUSDT"),
    )
    doc = roundtrip(status_document(HEADER, status, ["account-mode+set-leverage"] * 2))

    assert_shape(doc, {**HEAD, "busy_symbols": list, "busy_pairs": list})
    for row in doc["pairs"]:
        assert_shape(row, STATUS_PAIR)
    assert doc["busy_pairs"] == ["ETH/USDT:USDT", "OTHERUSDT"]


@pytest.mark.parametrize("kind", ERROR_TYPES)
def test_error_document_contract(kind: str) -> None:
    doc = roundtrip(error_document("apply", kind, "what happened", 3, "NetworkError"))

    assert_shape(doc, {"schema_version": int, "command": str, "error": dict, "exit_code": int})
    assert_shape(doc["error"], {"type": str, "message": str, "exception": str})
    assert doc["error"]["type"] == kind


def test_plan_json_schema_uta2(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("uta2")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan", "--json") == 0

    out = capsys.readouterr().out
    assert DEFAULT_API_SECRET not in out
    assert DEFAULT_API_KEY not in out
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["command"] == "plan"
    assert doc["account_type"] == "uta2"
    assert doc["account_margin_mode"] == "REGULAR_MARGIN"
    assert isinstance(doc["notes"], list)
    assert [row["pair"] for row in doc["pairs"]] == PAIRS
    for row in doc["pairs"]:
        assert set(row) == {
            "pair",
            "mechanism",
            "current_margin_mode",
            "current_leverage",
            "target_margin_mode",
            "target_leverage",
            "action",
            "reason",
            "open_position",
            "open_orders",
            "position_mode",
        }
        assert_shape(row, PLAN_PAIR)
        assert row["mechanism"] == "account-mode+set-leverage"
        assert row["current_margin_mode"] == "cross"
        assert row["target_margin_mode"] == "isolated"
        assert row["target_leverage"] == TARGETS[row["pair"]]
        assert row["action"] == "switch"
    assert doc["summary"] == {"none": 0, "switch": 4, "blocked": 0, "unknown": 0}
    assert writes(server.sim) == []
