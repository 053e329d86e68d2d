"""
Say what happened (issue 18): a configured pair whose Bybit market is not trading is named at
WARNING (freqtrade drops it with an INFO line), and an account whose type changed since the last
run on the same key is named once at INFO.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from freqtrade_bybit_margin.bot.notices import STATE_FILE
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.bot.conftest import BotFactory


pytestmark = pytest.mark.compat

CHANGED = "this account is"


def plugin_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("freqtrade_bybit_margin") and r.levelno == level
    ]


@pytest.fixture
def prelaunch() -> Iterator[ThreadedSimulatorServer]:
    sim = BybitSimulator(account_type="uta2", rate_limits=False)
    sim.set_instrument_status("XRPUSDT", "PreLaunch")
    with ThreadedSimulatorServer(sim) as server:
        yield server


def test_a_configured_pair_that_is_not_trading_is_named_at_warning(
    prelaunch: ThreadedSimulatorServer, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        bot = make_bot(prelaunch)

    warned = [m for m in plugin_lines(caplog, logging.WARNING) if "not trading" in m]
    assert len(warned) == 1, warned
    assert "XRP/USDT:USDT" in warned[0]
    assert "PreLaunch" in warned[0]
    assert "XRP/USDT:USDT" not in bot.active_pair_whitelist  # freqtrade left it out
    assert not [e for e in prelaunch.sim.journal if e.symbol == "XRPUSDT" and e.method == "POST"]


def start_on(account: str, make_bot: BotFactory, caplog: pytest.LogCaptureFixture) -> list[str]:
    """One bot start on a fresh simulator of ``account`` (same key, same user data directory):
    the plugin's INFO lines naming an account change."""
    caplog.clear()
    with (
        ThreadedSimulatorServer(BybitSimulator(account_type=account, rate_limits=False)) as server,
        caplog.at_level(logging.INFO),
    ):
        make_bot(server)
    return [m for m in plugin_lines(caplog, logging.INFO) if CHANGED in m]


def test_an_account_whose_type_changed_since_the_last_run_is_named_once(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    first = start_on("classic", make_bot, caplog)
    same = start_on("classic", make_bot, caplog)
    upgraded = start_on("uta2", make_bot, caplog)
    again = start_on("uta2", make_bot, caplog)

    assert (first, same, again) == ([], [], [])
    assert len(upgraded) == 1
    assert "UTA2.0 now" in upgraded[0]
    assert "found Classic" in upgraded[0]
    assert "account-wide margin mode" in upgraded[0]
    assert DEFAULT_API_KEY not in (tmp_path / STATE_FILE).read_text()  # a fingerprint only
