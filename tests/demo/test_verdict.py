"""The demo's verdict: the whole run, including any ERROR or traceback from the plugin."""

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.bot_runner import BotRun
from freqtrade_bybit_margin.demo.timeline import PairTimeline, timeline
from freqtrade_bybit_margin.demo.verdict import judge, plugin_errors
from freqtrade_bybit_margin.model import Mechanism

from .helpers import Journal, demo_pair


T = "2026-12-01 10:00:00,123"
SECRET = "simsecret-0123456789"
BTC = demo_pair("BTC/USDT:USDT", 5.0, Mechanism.SWITCH_ISOLATED)

PLUGIN_TRACEBACK = f"""\
{T} - freqtrade_bybit_margin.strategy - ERROR - Bybit margin: preparing 4 pairs failed \
(AttributeError("'bybit' object has no attribute 'privateGetV5PositionSymbolInfo'"))
Traceback (most recent call last):
  File "/site-packages/freqtrade_bybit_margin/strategy.py", line 270, in _bbm_prepare_all
    results = service.prepare(targets)
AttributeError: 'bybit' object has no attribute 'privateGetV5PositionSymbolInfo'
{T} - freqtrade.freqtradebot - INFO - Starting worker
"""
WRAPPED_TRACEBACK = f"""\
{T} - freqtrade.strategy.strategy_wrapper - ERROR - Unexpected error KeyError('x') calling \
<bound method BybitMarginMixin.leverage of <BybitMarginSample object at 0x7f>>
Traceback (most recent call last):
  File "/site-packages/freqtrade/strategy/strategy_wrapper.py", line 30, in wrapper
    return f(*args, **kwargs)
  File "/site-packages/freqtrade_bybit_margin/strategy.py", line 190, in leverage
    raise KeyError("x")
KeyError: 'x'
"""
NOT_THE_PLUGINS = f"""\
{T} - freqtrade.freqtradebot - ERROR - Unable to create trade for DOGE/USDT:USDT: no price
{T} - asyncio - ERROR - Task was destroyed but it is pending!
Traceback (most recent call last):
  File "/site-packages/ccxt/async_support/base/throttler.py", line 40, in looper
    await asyncio.sleep(0.1)
asyncio.exceptions.CancelledError
{T} - freqtrade_bybit_margin.strategy - WARNING - Bybit margin: SOL/USDT:USDT refused (110013)
"""


def test_plugin_error_lines_and_tracebacks_are_found() -> None:
    assert plugin_errors(PLUGIN_TRACEBACK) == [
        "ERROR freqtrade_bybit_margin.strategy: Bybit margin: preparing 4 pairs failed "
        """(AttributeError("'bybit' object has no attribute 'privateGetV5PositionSymbolInfo'"))""",
        "traceback: AttributeError: 'bybit' object has no attribute "
        "'privateGetV5PositionSymbolInfo'",
    ]


def test_freqtrade_reporting_an_exception_in_the_mixin_counts() -> None:
    found = plugin_errors(WRAPPED_TRACEBACK)
    assert found[0].startswith("ERROR freqtrade.strategy.strategy_wrapper: Unexpected error")
    assert found[1] == "traceback: KeyError: 'x'"


def test_errors_of_others_and_plugin_warnings_do_not_count() -> None:
    assert plugin_errors(NOT_THE_PLUGINS) == []


def test_the_same_problem_in_the_log_file_and_on_stdout_is_said_once() -> None:
    assert len(plugin_errors(PLUGIN_TRACEBACK + PLUGIN_TRACEBACK)) == 2


def _traded_run(log: str) -> tuple[BotRun, list[PairTimeline]]:
    journal = Journal()
    journal.switch("BTCUSDT", "5")
    journal.entry_order("BTCUSDT")
    run = journal.run([BTC.target.pair], log)
    return run, timeline(run, [BTC], {"BTCUSDT": "Buy 0.008 @ 5x"})


def test_a_clean_run_is_ok() -> None:
    run, rows = _traded_run(NOT_THE_PLUGINS)
    verdict = judge(run, rows, SECRET)
    assert verdict.ok
    assert verdict.problems == ()
    assert verdict.secret_leaked is False


def test_a_plugin_error_fails_a_run_that_traded_correctly() -> None:
    run, rows = _traded_run(NOT_THE_PLUGINS + PLUGIN_TRACEBACK)
    verdict = judge(run, rows, SECRET)
    assert not verdict.ok
    assert verdict.problems[0].startswith("plugin ERROR freqtrade_bybit_margin.strategy:")
    assert len(verdict.problems) == 2


def test_no_trade_a_late_pair_a_bad_signature_and_a_leak_are_each_said() -> None:
    journal = Journal()
    journal.add(Endpoint.KLINE, "BTCUSDT")
    run = journal.run([BTC.target.pair], f"{T} - freqtrade - INFO - key secret {SECRET}")
    verdict = judge(run, timeline(run, [BTC], {}), SECRET)
    assert verdict.problems == ("no pair was traded", "the API secret appears in the bot's log")
    assert verdict.secret_leaked

    journal = Journal()
    journal.entry_order("BTCUSDT")
    bad = journal.entries[0].__class__(**{**journal.entries[0].to_dict(), "signature_ok": False})
    journal.entries[0] = bad
    run = journal.run([BTC.target.pair])
    verdict = judge(run, timeline(run, [BTC], {"BTCUSDT": "Buy 1 @ 3x"}), SECRET)
    assert verdict.problems == (
        "traded before it was prepared: BTC/USDT:USDT",
        "1 request(s) with a bad signature",
    )


def test_a_run_where_no_position_opened_fails() -> None:
    """A strategy whose orders never fill ran to its time limit: not a demonstration."""
    run, _ = _traded_run("")
    verdict = judge(run, timeline(run, [BTC], {}), SECRET)
    assert verdict.problems == ("no position opened: orders were placed, none filled",)


def test_freqtrade_exiting_by_itself_fails_the_run() -> None:
    run, rows = _traded_run("")
    run.stopped, run.exit_code = False, 2
    verdict = judge(run, rows, SECRET)
    assert verdict.problems == (
        "freqtrade exited by itself (exit code 2) before the demo stopped it",
    )
