"""
A real ``FreqtradeBot`` with the mixin against the simulator over HTTP, in-process: the config,
the bot factory and freqtrade's own way of calling the strategy callbacks.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.freqtradebot import FreqtradeBot
from freqtrade.strategy.strategy_wrapper import strategy_safe_wrapper

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    BybitSimulator,
    ThreadedSimulatorServer,
)
from tests.conftest import TESTS, sim_exchange_config


PAIRS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT"]
SECTION = {"leverage": 3, "pair_leverage": {"BTC/USDT:USDT": 5, "ETH/.*": 4}}
EXPECTED = {"BTCUSDT": "5", "ETHUSDT": "4", "SOLUSDT": "3", "XRPUSDT": "3"}

BotFactory = Callable[..., FreqtradeBot]


def bot_config(url: str, tmp_path: Any, *, live: bool = True, **extra: Any) -> dict[str, Any]:
    """A complete freqtrade config for the simulator (what ``Configuration`` would produce)."""
    keys = {"key": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET} if live else {}
    config: dict[str, Any] = {
        "runmode": RunMode.LIVE if live else RunMode.DRY_RUN,
        "dry_run": not live,
        "dry_run_wallet": 1000,
        "strategy": "MarginTestStrategy",
        "strategy_path": str(TESTS / "strategies"),
        "trading_mode": "futures",
        "margin_mode": "isolated",
        "stake_currency": "USDT",
        "stake_amount": 20,
        "tradable_balance_ratio": 0.99,
        "max_open_trades": 4,
        "timeframe": "1m",
        "unfilledtimeout": {"entry": 10, "exit": 10, "unit": "minutes"},
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exchange": {**sim_exchange_config(url, **keys), "pair_whitelist": list(PAIRS)},
        "pairlists": [{"method": "StaticPairList"}],
        "bybit_margin": dict(SECTION),
        "datadir": tmp_path / "data",
        "user_data_dir": tmp_path,
        "db_url": "sqlite://",
        "internals": {},
        "telegram": {"enabled": False, "token": "", "chat_id": ""},
        "original_config": {},
    }
    # ccxt's client-side throttle only slows the tests down (~0.1 s a request); the service
    # paces its own writes whatever ccxt does.
    config["exchange"]["ccxt_config"]["enableRateLimit"] = False
    for key, value in extra.items():  # None removes a key
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


@pytest.fixture
def make_bot(tmp_path: Any) -> Iterator[Callable[..., FreqtradeBot]]:
    """Build FreqtradeBots against a simulator server; all are cleaned up afterwards."""
    bots: list[FreqtradeBot] = []

    def make(server: ThreadedSimulatorServer, **kwargs: Any) -> FreqtradeBot:
        bot = FreqtradeBot(bot_config(server.url, tmp_path, **kwargs))
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.cleanup()


@pytest.fixture
def uta2_server() -> Iterator[ThreadedSimulatorServer]:
    with ThreadedSimulatorServer(BybitSimulator(account_type="uta2")) as server:
        yield server


def writes(sim: BybitSimulator, path: str) -> list[Any]:
    return [e for e in sim.requests(path=path, method="POST") if e.ret_code is not None]


def entry(bot: FreqtradeBot, pair: str) -> bool:
    return bool(bot.execute_entry(pair, 20))


def confirm(bot: FreqtradeBot, pair: str) -> bool:
    """``confirm_trade_entry`` called the way freqtrade calls it (exceptions mean "allow")."""
    return bool(
        strategy_safe_wrapper(bot.strategy.confirm_trade_entry, default_retval=True)(
            pair=pair,
            order_type="limit",
            amount=1.0,
            rate=100.0,
            time_in_force="GTC",
            current_time=datetime.now(UTC),
            entry_tag=None,
            side="long",
        )
    )


def leverage(bot: FreqtradeBot, pair: str, max_leverage: float) -> float:
    """``leverage`` called the way freqtrade calls it (exceptions mean 1.0)."""
    return float(
        strategy_safe_wrapper(bot.strategy.leverage, default_retval=1.0)(
            pair=pair,
            current_time=datetime.now(UTC),
            current_rate=100.0,
            proposed_leverage=1.0,
            max_leverage=max_leverage,
            entry_tag=None,
            side="long",
        )
    )


MARGIN_WRITES = (Endpoint.SWITCH_ISOLATED, Endpoint.SET_LEVERAGE, Endpoint.SET_MARGIN_MODE)


def margin_writes(sim: BybitSimulator, symbol: str | None = None) -> list[Any]:
    """Every margin write the simulator answered (for ``symbol``; account-wide ones included)."""
    return [
        e
        for e in sim.journal
        if e.path in MARGIN_WRITES and (symbol is None or e.symbol in (symbol, None))
    ]
