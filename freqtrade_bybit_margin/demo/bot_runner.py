"""
Run a real ``freqtrade trade`` process LIVE against the local Bybit simulator, then read what
happened from the simulator's journal.

The demo and the end-to-end tests share this harness. freqtrade runs as a subprocess with fake
keys; both its ccxt clients are pointed at the loopback server through ``ccxt_config``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from freqtrade_bybit_margin.constants import Endpoint, RetCode


logger = logging.getLogger(__name__)

REPO_USER_DATA = Path(__file__).resolve().parents[2] / "user_data"
MARGIN_WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE)
OK_CODES = (RetCode.OK, RetCode.MARGIN_MODE_NOT_MODIFIED, RetCode.LEVERAGE_NOT_MODIFIED)


@dataclass
class BotRun:
    """A finished bot run: its journal, its log and where its files are."""

    journal: list[Any]
    log_text: str
    exit_code: int | None
    workdir: Path
    pairs: list[str]
    started_ms: int

    def requests(self, path: str | None = None, symbol: str | None = None) -> list[Any]:
        return [
            entry
            for entry in self.journal
            if (path is None or entry.path == path) and (symbol is None or entry.symbol == symbol)
        ]


@dataclass(frozen=True)
class PairTimeline:
    """What happened to one pair, in journal order (times are ms since the bot's first request).

    :param prepared_ms: first margin write for the pair that carried the target leverage and
        succeeded (or answered "not modified"); None if there was none
    """

    pair: str
    symbol: str
    mechanism: str
    target_mode: str
    target_leverage: float
    result: str
    prepared_ms: int | None
    first_order_ms: int | None
    position: str
    prepared_before_order: bool
    traded: bool = field(default=False)


def overlay_config(
    server_url: str,
    *,
    api_key: str,
    api_secret: str,
    pairs: Sequence[str],
    workdir: Path,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The config layered over ``user_data/config.json`` to trade live against the simulator."""
    urls = dict.fromkeys(("public", "private", "spot", "futures", "v2"), server_url)
    config: dict[str, Any] = {
        "dry_run": False,
        "initial_state": "running",
        "timeframe": "1m",
        "max_open_trades": len(pairs),
        "db_url": f"sqlite:///{workdir / 'trades.sqlite'}",
        "datadir": str(workdir / "data"),
        "internals": {"process_throttle_secs": 2, "heartbeat_interval": 0},
        "exchange": {
            "name": "bybit",
            "key": api_key,
            "secret": api_secret,
            "enable_ws": False,
            "pair_whitelist": list(pairs),
            "ccxt_config": {"urls": {"api": urls}},
        },
        "pairlists": [{"method": "StaticPairList"}],
    }
    for key, value in (extra or {}).items():
        config[key] = value
    return config


def run_bot(
    sim: Any,
    server_url: str,
    pairs: Sequence[str],
    *,
    until: Callable[[Any], bool],
    timeout: float = 75.0,
    user_data: Path = REPO_USER_DATA,
    extra_config: dict[str, Any] | None = None,
    workdir: Path | None = None,
    api_key: str,
    api_secret: str,
) -> BotRun:
    """Start freqtrade live against ``server_url``; stop it once ``until(sim)`` or ``timeout``.

    :param until: polled every 0.5 s with the simulator; True ends the run early
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bybit-margin-demo-"))
    for sub in ("data", "logs", "strategies"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    overlay = workdir / "simulator.json"
    overlay.write_text(
        json.dumps(
            overlay_config(
                server_url,
                api_key=api_key,
                api_secret=api_secret,
                pairs=pairs,
                workdir=workdir,
                extra=extra_config,
            ),
            indent=2,
        )
    )
    log_file = workdir / "logs" / "freqtrade.log"
    command = [
        sys.executable,
        "-m",
        "freqtrade",
        "trade",
        "-c",
        str(user_data / "config.json"),
        "-c",
        str(overlay),
        "--userdir",
        str(workdir),
        "--strategy-path",
        str(user_data / "strategies"),
        "--logfile",
        str(log_file),
    ]
    started_ms = int(time.time() * 1000)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("FREQTRADE__EXCHANGE__KEY", None)
    env.pop("FREQTRADE__EXCHANGE__SECRET", None)
    with open(workdir / "logs" / "stdout.log", "wb") as stdout:
        process = subprocess.Popen(
            command, stdout=stdout, stderr=subprocess.STDOUT, cwd=workdir, env=env
        )
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if until(sim):
                    break
                time.sleep(0.5)
        finally:
            exit_code = _stop(process)
    text = log_file.read_text() if log_file.exists() else ""
    text += (workdir / "logs" / "stdout.log").read_text(errors="replace")
    return BotRun(list(sim.journal), text, exit_code, workdir, list(pairs), started_ms)


def _stop(process: subprocess.Popen[bytes]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.returncode


def plugin_writes(run: BotRun, symbol: str) -> list[Any]:
    """The plugin's own margin writes for one symbol, before its first order.

    freqtrade's ``_lev_prep`` sends its own writes immediately before every entry order:
    switch-isolated + set-leverage where the mode is per symbol, set-leverage alone on unified
    accounts (its set-margin-mode carries no symbol). Those are left out; everything before
    them is the plugin's (``bot_start``, or ``confirm_trade_entry`` for a late pair).
    """
    entries = run.requests(symbol=symbol)
    orders = [e for e in entries if e.path == Endpoint.ORDER_CREATE]
    cutoff = orders[0].seq if orders else None
    writes = [e for e in entries if e.path in MARGIN_WRITES and (cutoff is None or e.seq < cutoff)]
    if cutoff is not None and writes and writes[-1].path == Endpoint.SET_LEVERAGE:
        writes.pop()
        if writes and writes[-1].path == Endpoint.SWITCH_ISOLATED:
            writes.pop()
    return writes


def _outcome(group: Sequence[Any]) -> str:
    final = group[-1].ret_code if group else None
    if final not in OK_CODES:
        return f"failed ({final})" if group else "not prepared"
    return "changed" if any(e.ret_code == RetCode.OK for e in group) else "unchanged"


def timeline(
    run: BotRun,
    targets: dict[str, tuple[str, float]],
    symbols: dict[str, str],
    positions: dict[str, str],
) -> list[PairTimeline]:
    """Per pair: when the plugin prepared it (mechanism, mode, leverage, result), its first
    order, and the position it holds.

    :param targets: pair -> (margin mode, leverage) from the config
    :param symbols: pair -> Bybit market id
    :param positions: market id -> position description from the simulator
    """
    first_ms = run.journal[0].time_ms if run.journal else run.started_ms
    account_ok = _account_mode_ms(run)
    leverage_reads = run.requests(Endpoint.POSITION_SYMBOL_INFO)
    rows = []
    for pair in run.pairs:
        symbol = symbols[pair]
        mode, leverage = targets[pair]
        group = plugin_writes(run, symbol)
        orders = run.requests(Endpoint.ORDER_CREATE, symbol)
        first_order = orders[0] if orders else None
        uses_switch = any(e.path == Endpoint.SWITCH_ISOLATED for e in group)
        result = _outcome(group)
        done: Any = group[-1] if group else None
        if done is not None and (result.startswith("failed") or _leverage_of(done) != leverage):
            done = None
        order_seq = first_order.seq if first_order is not None else float("inf")
        if not group and leverage_reads and leverage_reads[0].seq < order_seq:
            # one read of every leverage showed this pair at its target: nothing to write
            result, done = "unchanged (read)", leverage_reads[0]
        prepared_ms: int | None = None
        if done is not None:
            prepared_ms = int(done.time_ms)
            if not uses_switch:
                prepared_ms = None if account_ok is None else max(prepared_ms, account_ok)
        before = prepared_ms is not None and (first_order is None or done.seq < first_order.seq)
        rows.append(
            PairTimeline(
                pair=pair,
                symbol=symbol,
                mechanism="switch-isolated" if uses_switch else "account mode + set-leverage",
                target_mode=mode,
                target_leverage=leverage,
                result=result,
                prepared_ms=None if prepared_ms is None else prepared_ms - first_ms,
                first_order_ms=None if first_order is None else first_order.time_ms - first_ms,
                position=positions.get(symbol, "-"),
                prepared_before_order=before,
                traded=first_order is not None,
            )
        )
    return rows


def _leverage_of(entry: Any) -> float | None:
    value = (entry.body or {}).get("buyLeverage")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _account_mode_ms(run: BotRun) -> int | None:
    """When the account-wide mode was known right: its set-margin-mode, or the first
    account/info read if no change was needed (the plugin only sets it when it differs)."""
    sets = [
        e
        for e in run.requests(Endpoint.SET_MARGIN_MODE)
        if e.ret_code == RetCode.OK and "leverage" not in (e.body or {})
    ]
    if sets:
        return int(sets[0].time_ms)
    reads = run.requests(Endpoint.ACCOUNT_INFO)
    return int(reads[-1].time_ms) if reads else None
