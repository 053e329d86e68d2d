"""
Run a real ``freqtrade trade`` process LIVE against the local Bybit simulator, then tell from
the simulator's journal which margin requests were the plugin's and which freqtrade's own.

The demo and the end-to-end tests share this harness. freqtrade runs as a subprocess with the
simulator's fake keys; both its ccxt clients are pointed at the loopback server by the overlay of
:mod:`freqtrade_bybit_margin.demo.overlay`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.overlay import bot_overlay
from freqtrade_bybit_margin.demo.sample import SAMPLE_DATA, install_sample


__all__ = [
    "MARGIN_WRITES",
    "REPO_USER_DATA",
    "SAMPLE_DATA",
    "BotRun",
    "freqtrade_writes",
    "plugin_writes",
    "run_bot",
]

#: Kept for existing callers: the sample is package data now (identical to ``user_data/``).
REPO_USER_DATA = SAMPLE_DATA
#: Per-symbol margin writes (the account-wide set-margin-mode carries no symbol).
MARGIN_WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE)
#: Seconds freqtrade gets to stop after SIGINT before it is killed.
STOP_GRACE_S = 25.0
#: How often a run checks whether it may stop (the simulator is polled in this process).
POLL_S = 0.2


@dataclass
class BotRun:
    """A finished bot run: the simulator's journal, freqtrade's log and where its files are.

    :param exit_code: freqtrade's exit code (after the runner's SIGINT: 130 with freqtrade 2026.x,
        0 with 2025.10)
    :param workdir: the run's folder (config overlay, database, ``logs/``)
    :param started_ms: wall-clock ms at which the process was started
    :param stopped: the runner stopped freqtrade (False: it exited by itself first)
    """

    journal: list[Any]
    log_text: str
    exit_code: int | None
    workdir: Path
    pairs: list[str]
    started_ms: int
    stopped: bool = True

    def requests(self, path: str | None = None, symbol: str | None = None) -> list[Any]:
        """Journal entries, optionally only those of ``path`` and/or ``symbol``."""
        return [
            entry
            for entry in self.journal
            if (path is None or entry.path == path) and (symbol is None or entry.symbol == symbol)
        ]


def run_bot(
    sim: Any,
    server_url: str,
    pairs: Sequence[str],
    *,
    until: Callable[[Any], bool],
    timeout: float = 75.0,
    user_data: Path | None = None,
    extra_config: dict[str, Any] | None = None,
    workdir: Path | None = None,
    api_key: str,
    api_secret: str,
    market_types: Sequence[str] | None = None,
) -> BotRun:
    """Start freqtrade live against ``server_url``; stop it once ``until(sim)`` or ``timeout``.

    :param sim: the simulator behind ``server_url`` (polled, and its journal returned)
    :param until: polled every :data:`POLL_S` seconds with the simulator; True ends the run early
    :param user_data: ``config.json`` and ``strategies/`` (default: the packaged sample, copied)
    :param workdir: the run's folder (default: a new temporary one); ``market_types``: see
        :func:`~freqtrade_bybit_margin.demo.overlay.bot_overlay`
    :return: the finished run
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bybit-margin-demo-"))
    for sub in ("data", "logs", "strategies"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    user_data = user_data or install_sample(workdir / "sample")
    overlay = workdir / "simulator.json"
    config = bot_overlay(
        server_url,
        api_key=api_key,
        api_secret=api_secret,
        pairs=pairs,
        workdir=workdir,
        extra=extra_config,
        market_types=market_types,
    )
    overlay.write_text(json.dumps(config, indent=2))
    log_file = workdir / "logs" / "freqtrade.log"
    command = [
        *(sys.executable, "-m", "freqtrade", "trade"),
        *("-c", str(user_data / "config.json"), "-c", str(overlay)),
        *("--userdir", str(workdir), "--strategy-path", str(user_data / "strategies")),
        *("--logfile", str(log_file)),
    ]
    started_ms = int(time.time() * 1000)
    exit_code, stopped = _run_until(command, workdir, until, sim, timeout)
    text = log_file.read_text(errors="replace") if log_file.exists() else ""
    text += (workdir / "logs" / "stdout.log").read_text(errors="replace")
    return BotRun(list(sim.journal), text, exit_code, workdir, list(pairs), started_ms, stopped)


def _run_until(
    command: list[str], workdir: Path, until: Callable[[Any], bool], sim: Any, timeout: float
) -> tuple[int | None, bool]:
    """Run ``command`` in ``workdir`` (output to ``logs/stdout.log``) until done or stopped.

    :return: the exit code, and whether the runner stopped the process (not it by itself)
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # The simulator's keys only; and freqtrade sets its logging up (--logfile) only when it does
    # not see pytest's PYTEST_VERSION, so that a bot started from a test logs as in production.
    for name in ("FREQTRADE__EXCHANGE__KEY", "FREQTRADE__EXCHANGE__SECRET", "PYTEST_VERSION"):
        env.pop(name, None)
    with open(workdir / "logs" / "stdout.log", "wb") as stdout:
        process = subprocess.Popen(
            command, stdout=stdout, stderr=subprocess.STDOUT, cwd=workdir, env=env
        )
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if until(sim):
                    break
                time.sleep(POLL_S)
        finally:
            stopped = process.poll() is None
            exit_code = _stop(process)
    return exit_code, stopped


def _stop(process: subprocess.Popen[bytes]) -> int | None:
    """SIGINT (freqtrade's own clean shutdown), then a kill if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.returncode


# --- whose margin request was it ----------------------------------------------------------------


def freqtrade_writes(run: BotRun, symbol: str) -> list[Any]:
    """
    freqtrade's own per-order margin writes for ``symbol``, before any of its orders.

    freqtrade's ``_lev_prep`` runs inside ``create_order``: its writes for a pair follow the
    pair's last other request (the order book read for the entry price) and end with
    ``set-leverage``, right before ``order/create``. So, per order: of the margin writes since the
    symbol's previous other request, the trailing ``[switch-isolated,] set-leverage``.
    :param run: the finished run
    :param symbol: Bybit market id
    :return: journal entries, in order
    """
    found: list[Any] = []
    trailing: list[Any] = []
    for entry in run.requests(symbol=symbol):
        if entry.path in MARGIN_WRITES:
            trailing.append(entry)
            continue
        if entry.path == Endpoint.ORDER_CREATE:
            found += _lev_prep_suffix(trailing)
        trailing = []
    return found


def _lev_prep_suffix(writes: list[Any]) -> list[Any]:
    """The ``[switch-isolated,] set-leverage`` that ends ``writes``, if it does."""
    if not writes or writes[-1].path != Endpoint.SET_LEVERAGE:
        return []
    if len(writes) > 1 and writes[-2].path == Endpoint.SWITCH_ISOLATED:
        return writes[-2:]
    return writes[-1:]


def plugin_writes(run: BotRun, symbol: str) -> list[Any]:
    """
    The plugin's own margin writes for one symbol, before its first order.

    Everything per-symbol and margin-related before the first ``order/create`` that is not
    freqtrade's per-order ``_lev_prep`` (see :func:`freqtrade_writes`): ``bot_start``, the late
    preparation of a pair that joins the whitelist, or ``confirm_trade_entry``.
    :param run: the finished run
    :param symbol: Bybit market id
    :return: journal entries, in order
    """
    orders = run.requests(Endpoint.ORDER_CREATE, symbol)
    cutoff = orders[0].seq if orders else None
    theirs = {entry.seq for entry in freqtrade_writes(run, symbol)}
    return [
        entry
        for entry in run.requests(symbol=symbol)
        if entry.path in MARGIN_WRITES
        and entry.seq not in theirs
        and (cutoff is None or entry.seq < cutoff)
    ]
