"""
Loopback HTTP transport: a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (ephemeral port)
in a daemon thread, answering every request through :meth:`BybitSimulator.dispatch`.
"""

import contextlib
import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from freqtrade_bybit_margin.simulator.core import BybitSimulator


logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: headers and body leave in separate writes; with Nagle on, a kept-alive client waits
    #: ~40 ms for each answer (delayed ACK)
    disable_nagle_algorithm = True
    server: "_Server"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        sim = self.server.sim
        url = f"http://{self.headers.get('Host', '127.0.0.1')}{self.path}"
        try:
            answer = sim.dispatch(
                self.command,
                url,
                dict(self.headers.items()),
                body,
                client_ip=str(self.client_address[0]),
            )
        except Exception:  # dispatch already renders handler errors; this is a last resort
            logger.exception("simulator dispatch crashed")
            self.send_error(500)
            return
        if answer.dropped:
            # close without a status line: the client sees the connection reset / closed
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if answer.timeout:
            time.sleep(sim.knobs.timeout_delay_s)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    #: freqtrade opens ~12 connections at once while loading markets; the stdlib backlog of 5
    #: drops some, which the client retries only after 1 s
    request_queue_size = 128
    sim: BybitSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer was written (a bot stopped mid-request, a
        client's timeout) is not the simulator's error: a debug line, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            logger.debug("client %s hung up before its answer: %r", client_address[0], error)
            return
        super().handle_error(request, client_address)


class ThreadedSimulatorServer:
    """Serve ``sim`` on ``http://127.0.0.1:<port>`` from a daemon thread.

    Use as a context manager or call :meth:`start` / :meth:`stop`; ``url`` is the base URL to
    give ccxt (``exchange.urls["api"] = ccxt_urls(server.url)``).

    :param sim: the simulator (default: a fresh classic one)
    :param host: loopback address to bind
    :param port: 0 for an ephemeral port
    """

    def __init__(
        self, sim: BybitSimulator | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.sim = sim if sim is not None else BybitSimulator()
        self.host = host
        self.port = port
        self.ready = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ThreadedSimulatorServer":
        """Bind, start serving and wait until ready.

        :raise RuntimeError: when the serving thread does not start within 5 s
        """
        server = _Server((self.host, self.port), _Handler)
        server.sim = self.sim
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=self._run, name=f"bybit-sim-{self.port}", daemon=True
        )
        self._thread.start()
        if not self.ready.wait(5):
            self.stop()
            raise RuntimeError(f"simulator server on {self.url} did not start within 5 s")
        return self

    def _run(self) -> None:
        assert self._server is not None
        self.ready.set()
        self._server.serve_forever(poll_interval=0.01)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.ready.clear()

    def __enter__(self) -> "ThreadedSimulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
