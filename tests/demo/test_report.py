"""What the demo prints: a timeline that fits 80 columns, counts, and the verdict."""

import io

from rich.console import Console

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.demo.report import print_report, timeline_table
from freqtrade_bybit_margin.demo.timeline import timeline
from freqtrade_bybit_margin.demo.verdict import Verdict
from freqtrade_bybit_margin.model import Mechanism

from .helpers import Journal, demo_pair


PAIRS = [demo_pair(f"{base}/USDT:USDT", 5.0, Mechanism.ACCOUNT_MODE) for base in ("BTC", "S001")]


def _journal() -> Journal:
    journal = Journal()
    journal.add(Endpoint.ACCOUNT_INFO)
    journal.add(Endpoint.SET_MARGIN_MODE, body={"setMarginMode": "ISOLATED_MARGIN"})
    journal.set_leverage("BTCUSDT", "5")
    journal.add(Endpoint.POSITION_SYMBOL_INFO)
    journal.entry_order("BTCUSDT")
    return journal


def render(*renderables: object) -> str:
    stream = io.StringIO()
    Console(file=stream, width=80, no_color=True).print(*renderables)
    return stream.getvalue()


def test_timeline_fits_80_columns_with_uniform_columns_in_the_title() -> None:
    journal = _journal()
    run = journal.run([p.target.pair for p in PAIRS])
    rows = timeline(run, PAIRS, {"BTCUSDT": "Buy 0.008 @ 5x"})

    text = render(timeline_table(rows, "uta2"))

    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text
    title = text.splitlines()[0].rstrip()
    assert title == "Timeline: uta2 account, account-mode+set-leverage, isolated"
    btc = next(line for line in text.splitlines() if line.startswith("BTC/USDT:USDT"))
    assert btc.split()[1:4] == ["5x", "changed", "0.20s"]
    assert "Buy 0.008 @ 5x" in btc
    s001 = next(line for line in text.splitlines() if line.startswith("S001/USDT:USDT"))
    # Not written, but the bulk read showed it at its target; never traded.
    assert s001.split()[1:5] == ["5x", "unchanged:", "0.30s", "-"]
    assert "read" in text.split("S001/USDT:USDT", 1)[1]


def test_report_prints_the_problems_of_a_failed_run() -> None:
    journal = _journal()
    run = journal.run([p.target.pair for p in PAIRS])
    rows = timeline(run, PAIRS, {})
    stream = io.StringIO()
    verdict = Verdict(("plugin ERROR freqtrade_bybit_margin.strategy: boom",))

    print_report(Console(file=stream, width=80, no_color=True), run, rows, "uta2", verdict)

    text = stream.getvalue()
    assert "account margin mode set by the plugin: ISOLATED_MARGIN -> retCode 0 at 0.10s" in text
    assert "freqtrade stopped by the demo (SIGINT); secret in log: no" in text
    assert "FAILED:\n  - plugin ERROR freqtrade_bybit_margin.strategy: boom" in text
    assert "OK:" not in text


def test_a_run_the_demo_stopped_is_reported_so_whatever_its_exit_code() -> None:
    """freqtrade 2025.10 exits 0 on the demo's SIGINT, 2026.x 130: both were stopped by it."""
    run = _journal().run([p.target.pair for p in PAIRS])
    rows = timeline(run, PAIRS, {})
    for code in (0, 130):
        stream = io.StringIO()
        run.exit_code = code
        print_report(Console(file=stream, width=80, no_color=True), run, rows, "uta2", Verdict(()))
        assert "freqtrade stopped by the demo (SIGINT); secret in log: no" in stream.getvalue()
    run.stopped, run.exit_code = False, 0
    stream = io.StringIO()
    print_report(Console(file=stream, width=80, no_color=True), run, rows, "uta2", Verdict(()))
    assert "freqtrade exited by itself with code 0; secret in log: no" in stream.getvalue()
