"""
``freqtrade-bybit-margin simulator``: the local Bybit V5 simulator as a server on 127.0.0.1, and
a config overlay (``sim.json``) that points a freqtrade config at it, so that ``plan``, ``apply``,
``status`` and even ``freqtrade trade -c config.json -c sim.json`` can be tried without keys.
``--seed FILE`` starts it in a given state (symbols' settings, positions, orders: the seed
document of ``POST /_sim/seed``); every run gets a trade database of its own. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.cli.failures import EXIT_CONFIG, EXIT_OK, CliError
from freqtrade_bybit_margin.console import add_simulator_options, bounded
from freqtrade_bybit_margin.constants import AccountMarginMode, AccountType
from freqtrade_bybit_margin.demo.overlay import simulator_overlay


__all__ = ["add_arguments", "run", "serve"]

DEFAULT_OVERLAY = "sim.json"
#: How often the serving loop looks at its stop event.
POLL_S = 0.2
#: Generated USDT perpetuals at most (``S001/USDT:USDT`` ...).
MAX_EXTRA_SYMBOLS = 2000
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """
    The ``simulator`` command's options.

    :param parser: its sub-parser
    """
    add_simulator_options(parser)
    parser.add_argument(
        "--account-margin-mode",
        choices=[m.value for m in AccountMarginMode],
        default=AccountMarginMode.CROSS.value,
        help="starting account-wide margin mode of a unified account (default: REGULAR_MARGIN)",
    )
    parser.add_argument(
        "--port",
        type=bounded(int, 0, 65535, "a port number"),
        default=0,
        help="port on 127.0.0.1 (default: 0, any free port)",
    )
    parser.add_argument(
        "--rate-limits",
        choices=("on", "off"),
        default="on",
        help="enforce Bybit's per-UID rate limits (10006 when exceeded; default: on)",
    )
    parser.add_argument(
        "--extra-symbols",
        type=bounded(int, 0, MAX_EXTRA_SYMBOLS, "a whole number"),
        default=0,
        metavar="N",
        help=f"add N generated USDT perpetuals S001/USDT:USDT ... (0 to {MAX_EXTRA_SYMBOLS}, "
        "default 0)",
    )
    parser.add_argument(
        "--seed",
        type=Path,
        default=None,
        metavar="FILE",
        help="a JSON seed document to start from: symbols' margin settings, positions, orders, "
        "wallet (the document of POST /_sim/seed; see the README)",
    )
    parser.add_argument(
        "--overlay",
        type=Path,
        default=Path(DEFAULT_OVERLAY),
        metavar="PATH",
        help=f"where to write the config overlay (default: ./{DEFAULT_OVERLAY})",
    )


def run(args: argparse.Namespace) -> int:
    """
    Serve until Ctrl-C (SIGINT) or SIGTERM (``docker stop``, ``kill``).

    :param args: the parsed command line
    :return: the exit code
    """
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: stop.set())
    try:
        return serve(args, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(args: argparse.Namespace, stop: threading.Event) -> int:
    """
    Start the simulator, write the overlay, serve until ``stop`` is set.

    :param args: the parsed command line
    :param stop: set it to stop serving (tests, embedding)
    :return: the exit code
    :raise CliError: the port cannot be listened on
    """
    from freqtrade_bybit_margin.simulator import BybitSimulator, ThreadedSimulatorServer

    sim = BybitSimulator(
        args.account,
        account_margin_mode=args.account_margin_mode,
        latency_ms=args.latency_ms,
        rate_limits=args.rate_limits == "on",
        extra_linear_symbols=args.extra_symbols,
    )
    seeded = _seed(sim, args.seed) if args.seed is not None else None
    server = ThreadedSimulatorServer(sim, port=args.port)
    try:
        server.start()
    except OSError as error:
        raise CliError(
            EXIT_CONFIG,
            "usage",
            f"--port {args.port}: cannot listen on 127.0.0.1:{args.port} ({error.strerror}); "
            "allowed: a free port, or 0 for any.",
            type(error).__name__,
        ) from None
    try:
        database = _write_overlay(args.overlay, server.url, server.port)
        _announce(args, server.url, database, seeded)
        while not stop.wait(POLL_S):
            pass
    finally:
        server.stop()
        print(f"Simulator stopped after {len(sim.journal)} requests.", flush=True)
    return EXIT_OK


def _write_overlay(path: Path, url: str, port: int) -> Path:
    """Write the config overlay; return the new trade database it names (one per run)."""
    from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET

    stamp = time.strftime("%Y%m%d-%H%M%S")
    database = path.resolve().parent / f"simulator-trades-{stamp}-{port}.sqlite"
    overlay = simulator_overlay(
        url, api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET, database=database
    )
    path.write_text(json.dumps(overlay, indent=2) + "\n")
    return database


def _seed(sim: Any, path: Path) -> str:
    """
    Apply the seed document in ``path`` before the server starts.

    :return: what was seeded, in a few words
    :raise CliError: the file cannot be read, is not JSON, or a field is not allowed (exit 2)
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(
            EXIT_CONFIG, "usage", f"--seed {path}: cannot be read ({error.strerror}).", "OSError"
        ) from None
    except ValueError as error:
        raise CliError(
            EXIT_CONFIG,
            "usage",
            f"--seed {path}: not valid JSON ({error}); allowed: a seed document such as "
            '{"symbols": {"BTCUSDT": {"trade_mode": 1, "leverage": "5"}}}.',
            type(error).__name__,
        ) from None
    try:
        applied = sim.seed(document)["applied"]
    except (ValueError, TypeError) as error:
        raise CliError(
            EXIT_CONFIG, "usage", f"--seed {path}: {error}.", type(error).__name__
        ) from None
    counts = {name: applied.count(name) for name in dict.fromkeys(applied)}
    return ", ".join(f"{name} x{count}" for name, count in counts.items()) or "nothing"


def _announce(args: argparse.Namespace, url: str, database: Path, seeded: str | None) -> None:
    label = AccountType(args.account).label
    overlay = args.overlay
    lines = [
        f"Bybit V5 simulator ({label}) listening on {url} "
        f"(latency {args.latency_ms:g} ms, rate limits {args.rate_limits})",
        *([f"Seeded from {args.seed}: {seeded}"] if seeded is not None else []),
        f"Config overlay written to {overlay}: the simulator's keys and URLs, enable_ws false, "
        f"dry_run false, a new trade database for this run ({database.name}). Layer it over "
        "your config:",
        f"  freqtrade-bybit-margin plan -c user_data/config.json -c {overlay}",
        f"  freqtrade-bybit-margin apply -c user_data/config.json -c {overlay}",
        f"  freqtrade trade -c user_data/config.json -c {overlay}",
        f"Control routes: {url}/_sim/journal, /_sim/state (GET); /_sim/seed, /_sim/reset, "
        "/_sim/fault, /_sim/budget (POST JSON). Ctrl-C stops it.",
    ]
    print("\n".join(lines), file=sys.stdout, flush=True)
