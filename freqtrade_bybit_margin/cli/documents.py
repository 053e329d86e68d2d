"""
The ``--json`` documents: a stable interface (``schema_version`` 1); fields are only ever added.

Every document but the error document has ``schema_version``, ``command``, ``account_type``,
``account_margin_mode``, ``endpoint``, ``notes`` and ``pairs`` (one object per pair, in
whitelist order):

- ``plan`` pairs: ``pair``, ``mechanism``, ``current_margin_mode``, ``current_leverage``,
  ``target_margin_mode``, ``target_leverage``, ``action`` (none / switch / blocked / unknown),
  ``reason``, ``open_position``, ``open_orders``, ``position_mode`` (one-way / hedge; a hedged
  pair's ``switch`` starts with switching it to one-way); plus ``summary`` {action: count},
  ``changes`` (pairs that would be written) and ``account_mode`` (below).
- ``apply`` pairs: ``pair``, ``mechanism``, ``margin_mode``, ``leverage`` (the target),
  ``outcome`` (changed / unchanged / skipped / failed), ``confirmed``, ``reason``, ``error``
  (the ccxt exception class), ``kind`` (the failure's kind: transient, rate-limited, unreadable,
  blocked, refused, not-served, auth, permission), ``retryable``, ``requests``; plus
  ``summary`` {outcome: count}, ``ok`` (every pair confirmed) and ``account_mode`` as planned.
  ``account_margin_mode`` is as read before applying.
- ``status`` pairs: ``pair``, ``mechanism``, ``margin_mode``, ``leverage``, ``open_position``,
  ``position_side``, ``position_size``, ``open_orders``, ``position_mode`` (one-way / hedge);
  plus ``busy_symbols`` (Bybit ids) and ``busy_pairs`` (the same as pair names where known).
- ``account_mode``: null on Classic or when no pair uses the account-wide mode, else
  {``current``, ``target``, ``action``, ``reason``}.
- errors: {``schema_version``, ``command``, ``error``: {``type``, ``message``, ``exception``},
  ``exit_code``}; ``type`` is one of :data:`ERROR_TYPES`.

Unknown modes and leverages are ``null``. No credential ever appears in a document.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from freqtrade_bybit_margin.model import AccountType, Outcome, PairResult
from freqtrade_bybit_margin.redact import scrub
from freqtrade_bybit_margin.service.planning import AccountModePlan, AccountStatus, Action, Plan


__all__ = [
    "ERROR_TYPES",
    "SCHEMA_VERSION",
    "Header",
    "apply_document",
    "dump_json",
    "error_document",
    "plan_document",
    "status_document",
]

SCHEMA_VERSION = 1
#: ``error.type`` values: bad arguments, a bad config, a freqtrade/ccxt outside the supported
#: range, keys refused, another exchange error, the network, a declined prompt, Ctrl-C.
ERROR_TYPES = (
    "usage",
    "config",
    "runtime",
    "authentication",
    "exchange",
    "network",
    "declined",
    "interrupted",
)


@dataclass(frozen=True)
class Header:
    """What every command reports above its table (and in its JSON document)."""

    command: str
    account_type: AccountType
    account_margin_mode: str | None
    endpoint: str
    notes: Sequence[str] = ()


def _head(header: Header) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": header.command,
        "account_type": header.account_type.value,
        "account_margin_mode": header.account_margin_mode,
        "endpoint": header.endpoint,
        "notes": list(header.notes),
    }


def _account_mode(step: AccountModePlan | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "current": step.current,
        "target": step.target.value,
        "action": step.action.value,
        "reason": step.reason,
    }


def _value(value: object) -> str | None:
    return None if value is None else str(value)


def plan_document(header: Header, plan: Plan) -> dict[str, Any]:
    """
    The ``plan --json`` document.

    :param header: account and notes
    :param plan: the service's plan
    :return: the document
    """
    counts = Counter(pair.action.value for pair in plan.pairs)
    rows = []
    for pair in plan.pairs:
        state = pair.state
        rows.append(
            {
                "pair": pair.target.pair,
                "mechanism": pair.mechanism.value,
                "current_margin_mode": _value(state.margin_mode if state else None),
                "current_leverage": state.leverage if state else None,
                "target_margin_mode": pair.target.margin_mode.value,
                "target_leverage": pair.target.leverage,
                "action": pair.action.value,
                "reason": pair.reason,
                "open_position": bool(state and state.position_size > 0),
                "open_orders": state.open_orders if state else 0,
                "position_mode": state.position_mode if state else None,
            }
        )
    return {
        **_head(header),
        "pairs": rows,
        "summary": {action.value: counts.get(action.value, 0) for action in Action},
        "changes": plan.changes,
        "account_mode": _account_mode(plan.account_mode),
    }


def apply_document(
    header: Header, results: Sequence[PairResult], account_mode: AccountModePlan | None
) -> dict[str, Any]:
    """
    The ``apply --json`` document.

    :param header: account (as read before applying) and notes
    :param results: one per pair
    :param account_mode: the account-wide step as planned
    :return: the document
    """
    counts = Counter(result.outcome.value for result in results)
    return {
        **_head(header),
        "pairs": [
            {
                "pair": result.pair,
                "mechanism": result.mechanism.value,
                "margin_mode": result.target.margin_mode.value,
                "leverage": result.target.leverage,
                "outcome": result.outcome.value,
                "confirmed": result.confirmed,
                "reason": result.reason,
                "error": result.failure.exception if result.failure else None,
                "kind": result.failure.kind.value if result.failure else None,
                "retryable": result.retryable,
                "requests": result.requests,
            }
            for result in results
        ],
        "summary": {outcome.value: counts.get(outcome.value, 0) for outcome in Outcome},
        "ok": all(result.confirmed for result in results),
        "account_mode": _account_mode(account_mode),
    }


def status_document(
    header: Header, status: AccountStatus, mechanisms: Sequence[str]
) -> dict[str, Any]:
    """
    The ``status --json`` document.

    :param header: account and notes
    :param status: the service's status
    :param mechanisms: per pair of ``status.pairs``
    :return: the document
    """
    return {
        **_head(header),
        "pairs": [
            {
                "pair": state.pair,
                "mechanism": mechanism,
                "margin_mode": _value(state.margin_mode),
                "leverage": state.leverage,
                "open_position": state.position_size > 0,
                "position_side": state.position_side or None,
                "position_size": state.position_size,
                "open_orders": state.open_orders,
                "position_mode": state.position_mode,
            }
            for state, mechanism in zip(status.pairs, mechanisms, strict=True)
        ],
        "busy_symbols": list(status.busy_symbols),
        "busy_pairs": list(status.busy_pairs),
    }


def error_document(
    command: str | None, kind: str, message: str, exit_code: int, exception: str | None = None
) -> dict[str, Any]:
    """
    The document printed on stdout instead of a result when a ``--json`` command fails.

    :param command: the command, None when the arguments did not say
    :param kind: one of :data:`ERROR_TYPES`
    :param message: the same line as on stderr, credentials removed
    :param exit_code: the process exit code
    :param exception: the exception class behind it (ccxt's or the plugin's), if any
    :return: the document
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "error": {"type": kind, "message": message, "exception": exception},
        "exit_code": exit_code,
    }


def dump_json(document: dict[str, Any], file: IO[str]) -> None:
    """
    Write one JSON document, indented, followed by a newline; credentials masked.

    :param document: the document
    :param file: where to write it
    """
    file.write(scrub(json.dumps(document, indent=2, default=_json_number)) + "\n")


def _json_number(value: Any) -> float:
    """Leverages and sizes are Decimals inside the plugin and JSON numbers in documents."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
