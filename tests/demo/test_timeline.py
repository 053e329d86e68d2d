"""The demo's journal timeline and whose margin request was whose, on synthetic journals."""

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.demo.bot_runner import freqtrade_writes, plugin_writes
from freqtrade_bybit_margin.demo.timeline import timeline
from freqtrade_bybit_margin.model import Mechanism, Outcome

from .helpers import Journal, demo_pair


BTC = demo_pair("BTC/USDT:USDT", 5.0, Mechanism.SWITCH_ISOLATED)
ETH = demo_pair("ETH/USDT:USDT", 4.0, Mechanism.SWITCH_ISOLATED)
BTC_UTA = demo_pair("BTC/USDT:USDT", 5.0, Mechanism.ACCOUNT_MODE)


def test_classic_startup_write_then_freqtrade_per_order_calls() -> None:
    journal = Journal()
    journal.add(Endpoint.INSTRUMENTS_INFO)
    mine = journal.switch("BTCUSDT", "5")  # the plugin, in bot_start
    journal.add(Endpoint.KLINE, "BTCUSDT")
    journal.add(Endpoint.ORDERBOOK, "BTCUSDT")
    theirs = [
        journal.switch("BTCUSDT", "5", RetCode.MARGIN_MODE_NOT_MODIFIED),  # freqtrade's _lev_prep
        journal.set_leverage("BTCUSDT", "5", RetCode.LEVERAGE_NOT_MODIFIED),
    ]
    order = journal.order("BTCUSDT")
    run = journal.run([BTC.target.pair])

    assert plugin_writes(run, "BTCUSDT") == [mine]
    assert freqtrade_writes(run, "BTCUSDT") == theirs
    [row] = timeline(run, [BTC], {"BTCUSDT": "Buy 0.008 @ 5x"})
    assert (row.outcome, row.note) == (Outcome.CHANGED, "")
    assert row.prepared_ms == mine.time_ms - journal.entries[0].time_ms == 100
    assert row.first_order_ms == order.time_ms - journal.entries[0].time_ms
    assert row.prepared_before_order is True
    assert row.traded is True
    assert row.position == "Buy 0.008 @ 5x"
    assert row.as_result().confirmed is True


def test_uta2_without_per_order_calls_keeps_the_plugins_own_set_leverage() -> None:
    """With freqtrade's per-order calls gone, the last write before an order is the plugin's."""
    journal = Journal()
    journal.add(Endpoint.ACCOUNT_INFO)
    account = journal.add(Endpoint.SET_MARGIN_MODE, body={"setMarginMode": "ISOLATED_MARGIN"})
    mine = journal.set_leverage("BTCUSDT", "5")
    journal.entry_order("BTCUSDT")
    run = journal.run([BTC_UTA.target.pair])

    assert plugin_writes(run, "BTCUSDT") == [mine]
    assert freqtrade_writes(run, "BTCUSDT") == []
    [row] = timeline(run, [BTC_UTA], {})
    assert row.outcome is Outcome.CHANGED
    assert row.prepared_ms == max(mine.time_ms, account.time_ms) - journal.entries[0].time_ms
    assert row.prepared_before_order is True
    assert row.position == "-"


def test_account_mode_pair_waits_for_the_account_wide_step() -> None:
    journal = Journal()
    journal.set_leverage("BTCUSDT", "5")
    journal.add(Endpoint.KLINE, "BTCUSDT")
    account = journal.add(Endpoint.SET_MARGIN_MODE, body={"setMarginMode": "ISOLATED_MARGIN"})
    journal.entry_order("BTCUSDT")
    [row] = timeline(journal.run([BTC_UTA.target.pair]), [BTC_UTA], {})

    assert row.prepared_ms == account.time_ms - journal.entries[0].time_ms


def test_uta_restart_that_only_reads_is_unchanged_read() -> None:
    journal = Journal()
    journal.add(Endpoint.ACCOUNT_INFO)
    journal.add(Endpoint.POSITION_SYMBOL_INFO)  # every leverage of the category in one read
    journal.entry_order("BTCUSDT")
    [row] = timeline(journal.run([BTC_UTA.target.pair]), [BTC_UTA], {})

    assert (row.outcome, row.note) == (Outcome.UNCHANGED, "read")
    assert row.prepared_ms == 100
    assert row.prepared_before_order is True


def test_classic_restart_that_only_reads_is_unchanged_read() -> None:
    journal = Journal()
    journal.add(Endpoint.POSITION_LIST)  # exposure: open positions only, tells nothing of ETH
    journal.add(Endpoint.POSITION_LIST, "ETHUSDT")  # answered with or without a position
    journal.add(Endpoint.POSITION_LIST, "BTCUSDT", ret=RetCode.TOO_MANY_VISITS)
    journal.entry_order("ETHUSDT")
    journal.entry_order("BTCUSDT")
    rows = timeline(journal.run([ETH.target.pair, BTC.target.pair]), [ETH, BTC], {})

    assert [(row.outcome, row.note, row.prepared_ms) for row in rows] == [
        (Outcome.UNCHANGED, "read", 100),
        (Outcome.SKIPPED, "nothing sent", None),  # a refused read confirms nothing
    ]
    assert [row.prepared_before_order for row in rows] == [True, False]


def test_refused_pair_is_failed_with_its_code_and_never_prepared() -> None:
    journal = Journal()
    journal.switch("BTCUSDT", "5", RetCode.LEVERAGE_RISK_LIMIT)
    journal.add(Endpoint.KLINE, "BTCUSDT")
    [row] = timeline(journal.run([BTC.target.pair]), [BTC], {})

    assert (row.outcome, row.note) == (Outcome.FAILED, str(int(RetCode.LEVERAGE_RISK_LIMIT)))
    assert row.prepared_ms is None
    assert row.prepared_before_order is False
    assert row.traded is False
    assert row.as_result().confirmed is False


def test_late_pair_prepared_in_confirm_trade_entry_is_told_apart() -> None:
    """The plugin's write right before freqtrade's own ``_lev_prep`` pair stays the plugin's."""
    journal = Journal()
    journal.add(Endpoint.ORDERBOOK, "ETHUSDT")
    mine = journal.switch("ETHUSDT", "4")
    theirs = [
        journal.switch("ETHUSDT", "4", RetCode.MARGIN_MODE_NOT_MODIFIED),
        journal.set_leverage("ETHUSDT", "4", RetCode.LEVERAGE_NOT_MODIFIED),
    ]
    journal.order("ETHUSDT")
    run = journal.run([ETH.target.pair])

    assert plugin_writes(run, "ETHUSDT") == [mine]
    assert freqtrade_writes(run, "ETHUSDT") == theirs
    [row] = timeline(run, [ETH], {})
    assert row.prepared_before_order is True


def test_writes_after_the_first_order_are_not_the_preparation() -> None:
    journal = Journal()
    journal.switch("BTCUSDT", "5")
    journal.entry_order("BTCUSDT")
    journal.switch("BTCUSDT", "7")  # e.g. a later re-preparation after drift
    assert [
        e.body["buyLeverage"] for e in plugin_writes(journal.run(["BTC/USDT:USDT"]), "BTCUSDT")
    ] == ["5"]


def test_a_pair_nothing_was_sent_for_is_skipped_and_not_prepared() -> None:
    journal = Journal()
    journal.add(Endpoint.KLINE, "BTCUSDT")
    journal.entry_order("BTCUSDT")
    [row] = timeline(journal.run([BTC.target.pair]), [BTC], {})

    assert (row.outcome, row.note) == (Outcome.SKIPPED, "nothing sent")
    assert row.prepared_before_order is False
    assert row.traded is True


def test_a_write_at_another_leverage_does_not_count_as_prepared() -> None:
    journal = Journal()
    journal.switch("BTCUSDT", "3")
    journal.entry_order("BTCUSDT")
    [row] = timeline(journal.run([BTC.target.pair]), [BTC], {})

    assert row.outcome is Outcome.CHANGED
    assert row.prepared_ms is None
    assert row.prepared_before_order is False
