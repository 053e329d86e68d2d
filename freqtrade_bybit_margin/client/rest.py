"""
One signed Bybit V5 request on a ``ccxt.bybit`` instance, with ccxt's own signing, transport and
error mapping but without ccxt's client-side throttle, and the rate-limit headers of its answer.

ccxt's sync throttle is one bucket for the whole instance (``rateLimit`` 20 ms x cost 5: one
request per 100 ms, whatever the endpoint), and it is the bot's own instance: the service paces
per endpoint by Bybit's limits and headers instead (``service/pacing.py``), so it calls ccxt's
public ``sign`` + ``fetch`` (what ``fetch2`` does after its throttle) rather than the implicit
methods.

The headers: ccxt keeps only the last response's headers per instance, which threads overwrite.
:class:`HeaderTap` is one response hook on the instance's ``requests`` session that keeps them
per thread, so each caller reads the headers of its own answer. Whoever owns the client
installs it (the CLI on its own client; on the bot's client, the freqtrade glue's guarded
module), never the service.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Mapping
from typing import Any

from freqtrade_bybit_margin.client.answers import require_ok
from freqtrade_bybit_margin.constants import Endpoint


__all__ = ["HeaderTap", "sign_api", "signed"]


def signed(exchange: Any, method: str, endpoint: Endpoint, params: Mapping[str, Any]) -> Any:
    """
    Send one signed private request and return its parsed envelope.

    :param exchange: a sync ``ccxt.bybit`` instance with credentials
    :param method: ``"GET"`` or ``"POST"``
    :param endpoint: the V5 path
    :param params: query (GET) or JSON body (POST)
    :return: the envelope, retCode 0
    :raise ccxt.BaseError: Bybit's refusal as ccxt maps it, network trouble, or
        ``ccxt.BadResponse`` for an answer that is not an envelope with retCode 0
    """
    api = sign_api(exchange, "private")
    request = exchange.sign(endpoint.value.lstrip("/"), api, method, dict(params))
    response = exchange.fetch(
        request["url"], request["method"], request["headers"], request["body"]
    )
    symbol = params.get("symbol")
    what = f"{method} {endpoint.value}" + (f" {symbol}" if symbol else "")
    return require_ok(response, what)


class HeaderTap:
    """The response headers of the last answer each thread received on one ccxt instance.

    :meth:`on` installs the instance's tap (one per instance, installed once) and returns it.
    """

    _ATTRIBUTE = "_bybit_margin_header_tap"

    def __init__(self) -> None:
        self._local = threading.local()

    @classmethod
    def on(cls, exchange: Any) -> HeaderTap:
        """The tap of ``exchange``; installs it on first use (needs a ``requests`` session)."""
        tap = getattr(exchange, cls._ATTRIBUTE, None)
        if isinstance(tap, HeaderTap):
            return tap
        tap = cls()
        session = getattr(exchange, "session", None)
        hooks = getattr(session, "hooks", None)
        if isinstance(hooks, dict):
            hooks.setdefault("response", []).append(tap._record)
        setattr(exchange, cls._ATTRIBUTE, tap)
        return tap

    def _record(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._local.headers = dict(getattr(response, "headers", {}) or {})

    def take(self) -> dict[str, str]:
        """This thread's last headers, forgotten once taken (empty if none came)."""
        headers: dict[str, str] = getattr(self._local, "headers", None) or {}
        self._local.headers = None
        return headers


def sign_api(exchange: Any, name: str) -> Any:
    """
    The ``api`` argument of ``exchange.sign(path, api, method, params)`` on the running ccxt.

    ccxt 4.5.89 changed it from a string (``"private"``, ccxt <= 4.5.88) to a list
    (``["private"]``); the other form fails inside bybit's ``sign`` (``TypeError: unhashable
    type: 'list'`` on the older ccxt).
    :param exchange: a ccxt exchange instance (or class)
    :param name: ``"public"`` or ``"private"``
    :return: ``name`` or ``[name]``, whichever this ccxt's ``sign`` takes
    """
    klass = exchange if isinstance(exchange, type) else type(exchange)
    return [name] if _sign_takes_list(klass) else name


@functools.cache
def _sign_takes_list(klass: Any) -> bool:
    """True when ``klass.sign``'s ``api`` parameter defaults to a list (ccxt >= 4.5.89)."""
    try:
        default = inspect.signature(klass.sign).parameters["api"].default
    except (AttributeError, KeyError, TypeError, ValueError):
        return True  # the current form
    return isinstance(default, list)
