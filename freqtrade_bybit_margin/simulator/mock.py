"""
requests-mock transport: answer ``requests`` traffic to Bybit hosts from a simulator.

``mock_bybit`` works as a context manager, a decorator and via ``start()``/``stop()``;
``mount_session`` installs an adapter on one session for any host. requests-mock is an
optional dependency (``pip install freqtrade-bybit-margin[simulator]``), imported lazily so
that importing the simulator never pulls it in.
"""

import functools
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from freqtrade_bybit_margin.simulator.core import BybitSimulator
from freqtrade_bybit_margin.simulator.urls import BYBIT_HOST


if TYPE_CHECKING:
    import requests


F = TypeVar("F", bound=Callable[..., Any])
INSTALL_HINT = (
    "the simulator's requests-mock transport needs requests-mock: "
    "install freqtrade-bybit-margin[simulator]"
)


def require_requests_mock() -> ModuleType:
    """The ``requests_mock`` module.

    :return: the module
    :raise ModuleNotFoundError: with the install hint when it is missing
    """
    try:
        return importlib.import_module("requests_mock")
    except ImportError as exc:
        raise ModuleNotFoundError(INSTALL_HINT, name="requests_mock") from exc


def _make_matcher(sim: BybitSimulator, *, any_host: bool) -> Callable[[Any], Any]:
    """A requests-mock matcher: a response for Bybit hosts (or any host), else ``None``."""
    requests_mock = require_requests_mock()

    def matcher(request: Any) -> Any:
        import requests

        host = urlsplit(request.url).hostname or ""
        if not any_host and not BYBIT_HOST.match(host):
            return None
        answer = sim.dispatch(request.method, request.url, dict(request.headers), request.body)
        if answer.timeout:
            raise requests.exceptions.ReadTimeout(f"simulated timeout for {request.url}")
        if answer.dropped:
            raise requests.exceptions.ConnectionError(
                f"simulated dropped connection for {request.url}"
            )
        return requests_mock.create_response(
            request, status_code=answer.status, headers=answer.headers, content=answer.body
        )

    return matcher


def mount_session(sim: BybitSimulator, session: "requests.Session") -> None:
    """Answer every request of one ``requests.Session`` (any host) from ``sim``.

    :param sim: the simulator
    :param session: e.g. a sync ccxt client's ``exchange.session``
    :raise ModuleNotFoundError: when requests-mock is not installed
    """
    requests_mock = require_requests_mock()
    adapter = requests_mock.Adapter()
    adapter.add_matcher(_make_matcher(sim, any_host=True))
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)


class MockBybit:
    """Patch ``requests`` so Bybit hosts are answered by ``sim`` (others: ``NoMockAddress``
    unless ``real_http``). ``.mocker`` is the underlying ``requests_mock.Mocker``."""

    def __init__(self, sim: BybitSimulator | None = None, *, real_http: bool = False) -> None:
        self.sim = sim if sim is not None else BybitSimulator()
        self.real_http = real_http
        self.mocker: Any = None

    def start(self) -> "MockBybit":
        """Activate the mock.

        :raise ModuleNotFoundError: when requests-mock is not installed
        """
        requests_mock = require_requests_mock()
        if self.mocker is not None:
            raise RuntimeError("mock_bybit already started")
        self.mocker = requests_mock.Mocker(real_http=self.real_http)
        self.mocker.add_matcher(_make_matcher(self.sim, any_host=False))
        self.mocker.start()
        return self

    def stop(self) -> None:
        """Deactivate the mock."""
        if self.mocker is not None:
            self.mocker.stop()
            self.mocker = None

    def __enter__(self) -> "MockBybit":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Decorate ``func`` so the mock is active while it runs."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with MockBybit(self.sim, real_http=self.real_http):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def mock_bybit(sim: BybitSimulator | None = None, *, real_http: bool = False) -> MockBybit:
    """Answer ``requests`` calls to any ``*.bybit.com`` host from ``sim``.

    Usable as ``with mock_bybit(sim) as m:``, as ``@mock_bybit(sim)`` and via
    ``m = mock_bybit(sim); m.start(); ...; m.stop()``.
    """
    return MockBybit(sim, real_http=real_http)
