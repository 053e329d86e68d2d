"""
Read Bybit V5 answers: the envelope of a reply, the ``retCode`` inside a ccxt exception.

Only a parsed envelope confirms anything. ccxt returns an HTTP-200 body that is not JSON (an HTML
page from a proxy, an empty or truncated body) as a plain string without raising, and passes an
envelope without ``retCode`` through; :func:`require_ok` turns both into ``ccxt.BadResponse``, a
failure worth retrying, never a success. https://bybit-exchange.github.io/docs/v5/error
"""

from __future__ import annotations

import json
from typing import Any

import ccxt


__all__ = ["error_body", "require_ok", "ret_code_of"]


def require_ok(response: Any, what: str) -> dict[str, Any]:
    """
    The envelope of a successful Bybit answer.

    :param response: what the ccxt implicit method returned
    :param what: the request, for the message (``"POST /v5/position/set-leverage BTCUSDT"``)
    :return: the envelope, a dict whose ``retCode`` is 0
    :raise ccxt.BadResponse: not a JSON object, no ``retCode``, or ``result`` not an object
    """
    if not isinstance(response, dict):
        text = str(response).replace("\n", " ")
        shown = repr(text[:80]) + ("..." if len(text) > 80 else "")
        kind = "an empty body" if not text.strip() else f"a non-JSON body {shown}"
        raise ccxt.BadResponse(f"{what}: Bybit answered {kind}; the change is not confirmed")
    code = response.get("retCode", response.get("ret_code"))
    if code is None or str(code) != "0":
        raise ccxt.BadResponse(
            f"{what}: the answer has no retCode 0 ({json.dumps(response)[:120]}); "
            "the change is not confirmed"
        )
    if not isinstance(response.get("result", {}), dict):
        raise ccxt.BadResponse(f"{what}: the answer's result is not an object; not confirmed")
    return response


def ret_code_of(error: BaseException) -> int | None:
    """
    The Bybit ``retCode`` carried by a ccxt exception raised from ``handle_errors``.

    ccxt formats such messages as ``"bybit " + body``; several codes share one ccxt class
    (10001 and 110043 are both ``BadRequest``), so the code is the only exact discriminator.
    """
    body = error_body(error)
    code = body.get("retCode", body.get("ret_code")) if body else None
    try:
        return int(code) if code is not None else None
    except (TypeError, ValueError):
        return None


def error_body(error: BaseException) -> dict[str, Any] | None:
    """The JSON body inside a ccxt exception message, or None."""
    text = str(error)
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
