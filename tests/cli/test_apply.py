"""``apply``: one pass over every pair, after asking (by name for an account-wide change)."""

import json
from collections import Counter
from pathlib import Path

import pytest

from freqtrade_bybit_margin.cli import progress
from tests.clock import FastClock

from .helpers import PAIRS, TARGETS, Server, Terminal, run, write_config, writes


@pytest.mark.usefixtures("wide")
def test_apply_classic(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes") == 0

    out = capsys.readouterr().out
    assert "4/4 pairs confirmed" in out
    switched = server.sim.requests(path="/v5/position/switch-isolated", method="POST")
    assert {entry.symbol for entry in switched} == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}
    for entry in switched:
        assert entry.body["tradeMode"] == 1
    assert server.sim.requests(path="/v5/account/set-margin-mode") == []
    assert server.sim.symbol_state("BTCUSDT")["leverage"] == "5"
    assert server.sim.symbol_state("ETHUSDT")["leverage"] == "4"

    # A second run finds everything in place and sends nothing.
    before = len(writes(server.sim))
    assert run(files, "apply", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    assert {row["outcome"] for row in doc["pairs"]} == {"unchanged"}
    assert len(writes(server.sim)) == before


def test_apply_uta2(sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = sim_server("uta2")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "apply"
    assert doc["account_type"] == "uta2"
    assert doc["ok"] is True
    for row in doc["pairs"]:
        assert set(row) == {
            "pair",
            "mechanism",
            "margin_mode",
            "leverage",
            "outcome",
            "confirmed",
            "reason",
            "error",
            "kind",
            "retryable",
            "requests",
        }
        assert row["mechanism"] == "account-mode+set-leverage"
        assert row["confirmed"] is True
        assert row["leverage"] == TARGETS[row["pair"]]
    assert doc["account_mode"]["action"] == "switch"
    assert len(server.sim.requests(path="/v5/account/set-margin-mode", method="POST")) == 1
    assert len(server.sim.requests(path="/v5/position/set-leverage", method="POST")) == 4
    assert server.sim.requests(path="/v5/position/switch-isolated") == []
    assert server.sim.account_margin_mode == "ISOLATED_MARGIN"


@pytest.mark.usefixtures("wide")
def test_apply_mixed_results(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    server.sim.refuse(path="/v5/position/switch-isolated", symbol="SOLUSDT", ret_code=110013)
    server.sim.open_position("XRPUSDT", side="Sell", size="10")
    server.sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes") == 1

    out = capsys.readouterr().out
    lines = out.splitlines()
    # the current state and the target in separate columns; reasons as numbered notes
    sol = next(line for line in lines if line.startswith("SOL/USDT:USDT") and "failed" in line)
    assert sol.split() == [
        "SOL/USDT:USDT",
        "cross",
        "10x",
        "isolated",
        "3x",
        "failed",
        "(NOT",
        "ok)",
        "[1]",
    ]
    xrp = next(line for line in lines if line.startswith("XRP/USDT:USDT") and "skipped" in line)
    assert xrp.split()[-1] == "[2]"
    assert any(line.startswith("[1] ") and "110013" in line for line in lines)
    assert any(line.startswith("[2] ") and "open position" in line for line in lines)
    # apply lists only what it changes or cannot change: BTC was at its target
    assert not any(line.startswith("BTC/USDT:USDT") for line in lines)
    assert "Not listed: 1 pair already at target." in out
    assert "2/4 pairs confirmed (1 changed, 1 unchanged, 1 skipped, 1 failed)." in out

    assert run(files, "apply", "--yes", "--json") == 1
    doc = json.loads(capsys.readouterr().out)
    rows = {row["pair"]: row for row in doc["pairs"]}
    assert doc["ok"] is False
    assert rows["SOL/USDT:USDT"]["outcome"] == "failed"
    assert rows["SOL/USDT:USDT"]["kind"] == "refused"
    assert rows["XRP/USDT:USDT"]["outcome"] == "skipped"
    assert rows["BTC/USDT:USDT"]["confirmed"] is True


@pytest.mark.parametrize("as_json", [False, True])
def test_apply_with_a_key_lacking_the_permission_exits_3(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    """10005 on the writes: the key itself lacks the right, no pair can be fixed by waiting."""
    server = sim_server("classic")
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"):
        server.sim.refuse(path="/v5/position/switch-isolated", symbol=symbol, ret_code=10005)
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes", *(["--json"] if as_json else [])) == 3

    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("Bybit refused the API key: PermissionDenied 10005")
    assert "permissions" in line
    if as_json:
        doc = json.loads(captured.out)
        assert {row["kind"] for row in doc["pairs"]} == {"permission"}


def test_apply_on_100_classic_pairs_reads_each_pair_once(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], fast_clock: FastClock
) -> None:
    """apply reuses the plan's reads: one read per pair, one write per pair that differs; run
    again, it lists nothing and writes nothing."""
    server = sim_server("classic", extra_linear_symbols=100, clock=fast_clock.ms)
    extra = {"exchange": {"pair_whitelist": ["S[0-9]+/USDT:USDT"]}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "apply", "--yes") == 0

    reads = Counter(e.symbol for e in server.sim.requests(path="/v5/position/list") if e.symbol)
    assert len(reads) == 100
    assert max(reads.values()) == 1
    assert len(writes(server.sim)) == 100
    assert "100/100 pairs confirmed (100 changed)." in capsys.readouterr().out

    mark = len(server.sim.journal)
    assert run(files, "apply", "--yes") == 0

    out = capsys.readouterr().out
    assert len(out.splitlines()) <= 8, out  # not a row per pair, twice
    assert "Plan: every pair is at its target margin mode and leverage." in out
    assert "100/100 pairs confirmed (100 unchanged)." in out
    assert [e for e in server.sim.journal[mark:] if e.method == "POST"] == []


def test_apply_long_whitelist_shows_progress(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fast_clock: FastClock,
) -> None:
    server = sim_server("classic", extra_linear_symbols=6, clock=fast_clock.ms)
    monkeypatch.setattr(progress, "PROGRESS_LINES_FROM", 4)
    monkeypatch.setattr(progress, "PROGRESS_EVERY_S", 0.0)
    extra = {"exchange": {"pair_whitelist": ["S00[1-6]/USDT:USDT", *PAIRS]}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "apply", "--yes") == 0

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0] == "reading 10 pairs ..."  # said before the first answer arrives
    assert "read 10/10 pairs" in lines
    assert "prepared 4/10 pairs" in captured.err
    assert "prepared 10/10 pairs" in captured.err
    assert "10/10 pairs confirmed" in captured.out


def test_short_whitelist_prints_no_progress_off_a_terminal(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply", "--yes", "--json") == 0

    assert "pairs" not in capsys.readouterr().err


def test_apply_without_terminal_needs_yes(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "apply") == 2

    assert "--yes" in capsys.readouterr().err
    assert writes(server.sim) == []


@pytest.mark.parametrize(("answer", "code", "sent"), [("n\n", 1, False), ("y\n", 0, True)])
def test_apply_asks_on_a_terminal(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    sent: bool,
) -> None:
    server = sim_server("classic")
    server.sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    files = write_config(tmp_path, server.url)
    monkeypatch.setattr("sys.stdin", Terminal(answer))

    assert run(files, "apply") == code

    err = capsys.readouterr().err
    assert "[y/N]" in err
    # The prompt counts what will change: BTC is already at its target.
    assert "Apply margin mode and leverage to 3 of 4 pairs on Bybit?" in err
    assert bool(writes(server.sim)) is sent


def test_apply_prompt_for_one_pair_is_singular(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))

    assert run(files, "apply", "--pairs", "BTC/USDT:USDT") == 1

    err = capsys.readouterr().err
    assert "to 1 of 1 pair on Bybit?" in err
    assert "1 pairs" not in err


@pytest.mark.parametrize("current", ["PORTFOLIO_MARGIN", "REGULAR_MARGIN"])
def test_apply_asks_for_the_account_wide_change_by_name(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    current: str,
) -> None:
    server = sim_server("uta2")
    server.sim.set_account_margin_mode(current)
    files = write_config(tmp_path, server.url)

    # "y" is not enough for a change that affects every position and bot on the account.
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert run(files, "apply") == 1
    err = capsys.readouterr().err
    assert f"Bybit account margin mode {current} -> ISOLATED_MARGIN" in err
    assert "affects every position and bot on this account" in err
    assert "Then margin mode and leverage of 4 of 4 pairs." in err
    assert "Type ISOLATED_MARGIN to apply both" in err
    assert "Aborted; nothing was changed." in err
    assert writes(server.sim) == []
    assert server.sim.account_margin_mode == current

    monkeypatch.setattr("sys.stdin", Terminal("ISOLATED_MARGIN\n"))
    assert run(files, "apply") == 0
    assert "4/4 pairs confirmed" in capsys.readouterr().out
    assert server.sim.account_margin_mode == "ISOLATED_MARGIN"


def test_apply_progress_on_a_terminal(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sim_server("uta2", extra_linear_symbols=6)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    extra = {"exchange": {"pair_whitelist": ["S00[1-6]/USDT:USDT", *PAIRS]}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "apply", "--yes", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert len(doc["pairs"]) == 10
    assert doc["summary"]["changed"] == 10
    # The account-wide mode is set once, and prepare runs once for every pair.
    assert len(server.sim.requests(path="/v5/account/set-margin-mode", method="POST")) == 1
    assert len(server.sim.requests(path="/v5/position/set-leverage", method="POST")) == 10
