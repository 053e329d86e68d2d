"""
``freqtrade backtesting`` with the sample strategy and config on a tiny generated dataset.

freqtrade loads markets (and leverage tiers) from the exchange even for a backtest, so the run
points at the simulator; the point of the test is that the mixin makes no private request there
(the journal holds no signed request), while it still validates the section and logs its plan.
"""

import json
import math
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType

from tests.conftest import sim_exchange_config


pytestmark = pytest.mark.e2e  # a freqtrade subprocess


ROOT = Path(__file__).resolve().parents[2]
PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"]
START = datetime(2025, 3, 1, tzinfo=UTC)
DAYS = 2


def _candles(start: datetime, step: timedelta, count: int, base: float) -> pd.DataFrame:
    """Deterministic OHLCV: a slow wave (up- and down-trends) plus a little noise."""
    rows = []
    for i in range(count):
        trend = base * (1 + 0.04 * math.sin(i / 60))
        close = trend * (1 + 0.002 * math.sin(i * 1.7))
        open_ = trend * (1 + 0.002 * math.sin((i - 1) * 1.7))
        rows.append(
            {
                "date": start + i * step,
                "open": open_,
                "high": max(open_, close) * 1.001,
                "low": min(open_, close) * 0.999,
                "close": close,
                "volume": 1000.0 + i % 7,
            }
        )
    return pd.DataFrame(rows)


def write_dataset(datadir: Path) -> None:
    """Futures candles, mark candles and funding rates in freqtrade's feather layout."""
    datadir.mkdir(parents=True)
    handler = get_datahandler(datadir, "feather")
    for n, pair in enumerate(PAIRS):
        base = 100.0 * (n + 1)
        five_min = _candles(START, timedelta(minutes=5), DAYS * 288, base)
        handler.ohlcv_store(pair, "5m", five_min, CandleType.FUTURES)
        hourly = _candles(START, timedelta(hours=1), DAYS * 24, base)
        handler.ohlcv_store(pair, "1h", hourly, CandleType.MARK)
        funding = pd.DataFrame({"date": hourly["date"], "funding_rate": 0.0001})
        handler.ohlcv_store(pair, "1h", funding, CandleType.FUNDING_RATE)


def test_backtesting_sample_strategy_makes_no_private_request(
    bybit_sim_server: Any, tmp_path: Path
) -> None:
    datadir = tmp_path / "data" / "bybit"
    write_dataset(datadir)
    overlay: dict[str, Any] = {
        "exchange": {**sim_exchange_config(bybit_sim_server.url), "pair_whitelist": PAIRS},
    }
    overlay_path = tmp_path / "overlay.json"
    overlay_path.write_text(json.dumps(overlay))
    end = START + timedelta(days=DAYS)
    command = [
        sys.executable,
        "-m",
        "freqtrade",
        "backtesting",
        "--userdir",
        str(tmp_path / "user_data"),
        "--config",
        str(ROOT / "user_data" / "config.json"),
        "--config",
        str(overlay_path),
        "--datadir",
        str(datadir),
        "--strategy-path",
        str(ROOT / "user_data" / "strategies"),
        "--timerange",
        f"{START:%Y%m%d}-{end:%Y%m%d}",
        "--export",
        "none",
        "--cache",
        "none",
    ]
    subprocess.run(
        [sys.executable, "-m", "freqtrade", "create-userdir", "--userdir", command[5]],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "COLUMNS": "250"}  # rich wraps log lines at the terminal width
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "BACKTESTING REPORT" in output
    trades = re.search(r"Total/Daily Avg Trades\s+│\s+(\d+)", output)
    assert trades, output[-6000:]
    assert int(trades.group(1)) > 0

    assert "Bybit margin plan (backtest: no private request" in output
    assert re.search(r"BTC/USDT:USDT\s+unknown \(no keys\)\s+isolated\s+5x\s+planned", output)

    journal = bybit_sim_server.sim.requests()
    assert journal, "freqtrade should have loaded markets from the simulator"
    assert [entry.path for entry in journal if entry.signed] == []
