"""
Static configuration errors stop the bot when freqtrade builds the strategy (issue 19): right
after the exchange's own init, before wallets, pairlists and ``bot_start``, so no request
follows; freqtrade logs one line and exits 2 (its ``main`` exits 0 on a ``ConfigurationError``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from freqtrade.exceptions import ConfigurationError, OperationalException
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.resolvers import StrategyResolver

from freqtrade_bybit_margin.bot.strategy import BybitMarginSetupError
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.bot_runner import run_bot
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.bot.conftest import bot_config
from tests.config.bad_sections import BAD_CONFIGS, BadConfig
from tests.sim_clients import FUTURES_MARKETS


pytestmark = pytest.mark.compat

#: What freqtrade's exchange init sends (freqtrade-live-path.md §2a): before the strategy.
EXCHANGE_INIT = {
    Endpoint.COIN_INFO,
    Endpoint.INSTRUMENTS_INFO,
    Endpoint.SERVER_TIME,
    Endpoint.RISK_LIMIT,
    Endpoint.SWITCH_POSITION_MODE,
    Endpoint.QUERY_API,
    Endpoint.ACCOUNT_INFO,
}


def config_with(bad: BadConfig, tmp_path: Path) -> dict[str, Any]:
    config = bot_config("http://127.0.0.1:9", tmp_path)
    for key, value in bad.top.items():
        if key == "exchange":
            config["exchange"] = {**config["exchange"], **value}
        else:
            config[key] = value
    return config


@pytest.mark.parametrize("bad", BAD_CONFIGS, ids=lambda bad: bad.id)
def test_every_bad_section_is_refused_when_the_strategy_is_built(
    bad: BadConfig, tmp_path: Path
) -> None:
    config = config_with(bad, tmp_path)
    with pytest.raises(BybitMarginSetupError) as err:
        StrategyResolver.load_strategy(config)
    assert isinstance(err.value, OperationalException)
    assert not isinstance(err.value, ConfigurationError)  # freqtrade would exit 0 on that
    assert bad.named in str(err.value)


def test_a_bad_section_sends_no_request_after_the_exchanges_own_init(tmp_path: Path) -> None:
    sim = BybitSimulator("uta2")
    with ThreadedSimulatorServer(sim) as server:
        config = bot_config(server.url, tmp_path, bybit_margin={"leverage": float("nan")})
        with pytest.raises(BybitMarginSetupError, match=r"bybit_margin\.leverage: nan"):
            FreqtradeBot(config)
    assert {e.path for e in sim.journal} <= EXCHANGE_INIT
    assert sim.requests(path=Endpoint.WALLET_BALANCE) == []


@pytest.mark.e2e
def test_freqtrade_trade_exits_2_with_one_line(tmp_path: Path) -> None:
    sim = BybitSimulator("uta2")
    with ThreadedSimulatorServer(sim) as server:
        run = run_bot(
            sim,
            server.url,
            ["BTC/USDT:USDT"],
            until=lambda _: False,
            timeout=60,
            workdir=tmp_path / "run",
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
            market_types=FUTURES_MARKETS,
            extra_config={"bybit_margins": {"leverage": 3}},
        )
    assert run.exit_code == 2
    log = (run.workdir / "logs" / "freqtrade.log").read_text()  # stdout.log has it again
    errors = [line for line in log.splitlines() if " - ERROR - " in line]
    assert len(errors) == 1
    assert "bybit_margins" in errors[0]
    assert "Traceback" not in run.log_text
    assert {e.path for e in sim.journal} <= EXCHANGE_INIT
