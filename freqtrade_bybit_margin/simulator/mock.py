"""
requests-mock transport: answer ``requests`` traffic to Bybit hosts from a simulator.

``mock_bybit`` works as a context manager, a decorator and via ``start()``/``stop()``;
``mount_session`` installs an adapter on one session for any host. requests-mock is imported
lazily so that importing the simulator never pulls it in.
"""

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from freqtrade_bybit_margin.simulator.core import BybitSimulator
from freqtrade_bybit_margin.simulator.urls import BYBIT_HOST


if TYPE_CHECKING:
    import requests


logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def _make_matcher(sim: BybitSimulator, *, any_host: bool) -> Callable[[Any], Any]:
    """A requests-mock matcher: a response for Bybit hosts (or any host), else ``None``."""

    def matcher(request: Any) -> Any:
        import requests
        import requests_mock

        host = urlsplit(request.url).hostname or ""
        if not any_host and not BYBIT_HOST.match(host):
            return None
        answer = sim.dispatch(request.method, request.url, dict(request.headers), request.body)
        if answer.timeout:
            raise requests.exceptions.ReadTimeout(f"simulated timeout for {request.url}")
        return requests_mock.create_response(
            request, status_code=answer.status, headers=answer.headers, content=answer.body
        )

    return matcher


def mount_session(sim: BybitSimulator, session: "requests.Session") -> None:
    """Install a ``requests_mock.Adapter`` answering every URL of ``session``."""
    import requests_mock

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
        """Activate the mock."""
        import requests_mock

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
