"""``plan``: read-only, what ``apply`` would do, the account-wide step on its own line."""

import json
from pathlib import Path

import pytest

from freqtrade_bybit_margin.cli.app import main
from freqtrade_bybit_margin.simulator import ccxt_urls

from .helpers import MINIMAL_CONFIG, PAIRS, Server, run, write_config, writes


@pytest.mark.usefixtures("wide")
def test_plan_classic_is_read_only(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    server.sim.set_symbol("BTCUSDT", trade_mode=1, leverage="5")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan") == 0

    out = capsys.readouterr().out
    assert "Classic" in out
    assert "switch-isolated" in out
    for pair in PAIRS:
        assert pair in out
    btc = next(line for line in out.splitlines() if "BTC/USDT:USDT" in line)
    assert "none" in btc
    sol = next(line for line in out.splitlines() if "SOL/USDT:USDT" in line)
    assert "switch" in sol
    assert "Account-wide" not in out  # Classic: per-symbol modes only
    assert writes(server.sim) == []


def test_plan_pairs_option_restricts(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    code = run(files, "plan", "--json", "--pairs", "BTC/USDT:USDT,ETH/USDT:USDT", "-p", "XRP/.*")

    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert [row["pair"] for row in doc["pairs"]] == [
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "XRP/USDT:USDT",
    ]


def test_plan_refuses_a_pair_outside_the_whitelist_unless_any_pair(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan", "--pairs", "BTC/USDT:USDT,DOGE/USDT:USDT") == 2
    err = capsys.readouterr().err
    assert "DOGE/USDT:USDT" in err
    assert "whitelist" in err
    assert "--any-pair" in err
    assert writes(server.sim) == []

    assert run(files, "plan", "--json", "--any-pair", "--pairs", "DOGE/USDT:USDT") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [row["pair"] for row in doc["pairs"]] == ["DOGE/USDT:USDT"]
    assert any("DOGE/USDT:USDT" in note and "--any-pair" in note for note in doc["notes"])
    assert writes(server.sim) == []


def test_plan_resolves_a_dynamic_pairlist_as_freqtrade_does(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """VolumePairList with an empty pair_whitelist: freqtrade's pairlist manager picks the pairs
    from the exchange's tickers (public data only: no key is sent for it)."""
    server = sim_server("classic")
    extra = {
        "exchange": {"pair_whitelist": []},
        "pairlists": [{"method": "VolumePairList", "number_assets": 3}],
    }
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "plan", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert [row["pair"] for row in doc["pairs"]] == [
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "SOL/USDT:USDT",
    ]
    assert any("VolumePairList is dynamic: 3 pairs now" in note for note in doc["notes"])
    # resolved first, from public data: nothing signed up to its tickers read (freqtrade's
    # markets load would have sent coin/query-info signed had it got the keys)
    [tickers] = server.sim.requests(path="/v5/market/tickers")
    assert not any(entry.signed for entry in server.sim.journal[: tickers.seq])

    # --pairs selects within the resolved list
    assert run(files, "plan", "--json", "--pairs", "ETH/.*") == 0
    assert [row["pair"] for row in json.loads(capsys.readouterr().out)["pairs"]] == [
        "ETH/USDT:USDT"
    ]
    assert writes(server.sim) == []


def test_plan_pairs_pattern_selects_within_the_whitelist(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--pairs 'ETH/.*'``: the whitelist's ETH pair, although Bybit lists ETH/USD:ETH too."""
    server = sim_server("classic")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan", "--json", "--pairs", "ETH/.*") == 0

    doc = json.loads(capsys.readouterr().out)
    assert [row["pair"] for row in doc["pairs"]] == ["ETH/USDT:USDT"]  # not ETHUSD, ETH's inverse


@pytest.mark.parametrize("current", ["PORTFOLIO_MARGIN", "REGULAR_MARGIN"])
def test_plan_shows_the_account_wide_step_on_its_own_line(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], current: str
) -> None:
    server = sim_server("uta2")
    server.sim.set_account_margin_mode(current)
    files = write_config(tmp_path, server.url)

    assert run(files, "plan") == 0

    out = capsys.readouterr().out
    [step] = [line for line in out.splitlines() if line.startswith("Account-wide:")]
    assert f"{current} -> ISOLATED_MARGIN" in step
    assert "affects every position and bot on this account" in out
    assert "?" not in out  # the pairs' current mode is the account's, not unknown
    assert "4 pairs: 0 already at target, 4 to switch, 0 blocked." in out

    assert run(files, "plan", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["account_mode"] == {
        "current": current,
        "target": "ISOLATED_MARGIN",
        "action": "switch",
        "reason": "",
    }
    assert doc["changes"] == 4
    assert writes(server.sim) == []


def test_plan_account_mode_already_right_is_said_so(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("uta2", account_margin_mode="ISOLATED_MARGIN")
    files = write_config(tmp_path, server.url)

    assert run(files, "plan") == 0

    out = capsys.readouterr().out
    assert "Account-wide: Bybit account margin mode ISOLATED_MARGIN: at target." in out


def test_plan_warns_about_a_pair_leverage_key_that_matches_nothing(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    extra = {"bybit_margin": {"pair_leverage": {"DOGE/USDT:USDT": 7}}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "plan", "--json") == 0

    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("'DOGE/USDT:USDT'" in note and "matches no pair" in note for note in notes)


def test_plan_refuses_spot_notation_in_pair_leverage(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sim_server("classic")
    extra = {"bybit_margin": {"pair_leverage": {"BTC/USDT": 7}}}
    files = write_config(tmp_path, server.url, extra=extra)

    assert run(files, "plan") == 2

    err = capsys.readouterr().err
    assert "'BTC/USDT'" in err
    assert "'BTC/USDT:USDT'" in err
    assert writes(server.sim) == []


@pytest.mark.parametrize(
    ("section", "said"),
    [(None, "no section in the config"), ({"enabled": False}, "enabled is false")],
)
def test_plan_says_when_the_config_does_not_enable_the_plugin(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    section: dict[str, bool] | None,
    said: str,
) -> None:
    server = sim_server("classic")
    config = {key: value for key, value in MINIMAL_CONFIG.items() if key != "bybit_margin"}
    if section is not None:
        config["bybit_margin"] = section
    base = tmp_path / "bare.json"
    base.write_text(json.dumps(config))
    files = [str(base), write_config(tmp_path, server.url)[1]]

    assert main(["plan", "-c", files[0], "-c", files[1], "--json"]) == 0

    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any(said in note and "inert" in note for note in notes)

    assert main(["apply", "-c", files[0], "-c", files[1], "--yes"]) == 2
    assert "apply changes only what the config asks for" in capsys.readouterr().err
    assert writes(server.sim) == []


def test_strategy_class_attribute_is_overridden_key_by_key(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The strategy's ``bybit_margin`` attribute gives defaults; the config section wins."""
    strategies = tmp_path / "userdir" / "strategies"
    strategies.mkdir(parents=True)
    (strategies / "AttrStrategy.py").write_text(
        "from freqtrade.strategy import IStrategy\n"
        "from freqtrade_bybit_margin import BybitMarginMixin\n\n"
        "class AttrStrategy(BybitMarginMixin, IStrategy):\n"
        "    timeframe = '5m'\n"
        "    bybit_margin = {'leverage': 7, 'pair_leverage': {'SOL/USDT:USDT': 2}}\n"
        "    def populate_indicators(self, df, metadata): return df\n"
        "    def populate_entry_trend(self, df, metadata): return df\n"
        "    def populate_exit_trend(self, df, metadata): return df\n"
    )
    server = sim_server("classic")
    config = {**MINIMAL_CONFIG, "strategy": "AttrStrategy", "bybit_margin": {"leverage": 6}}
    base = tmp_path / "attr.json"
    base.write_text(json.dumps(config))
    files = [str(base), write_config(tmp_path, server.url)[1]]

    code = main(
        ["plan", "-c", files[0], "-c", files[1], "--userdir", str(tmp_path / "userdir"), "--json"]
    )

    assert code == 0
    targets = {
        row["pair"]: row["target_leverage"] for row in json.loads(capsys.readouterr().out)["pairs"]
    }
    assert targets == {
        "BTC/USDT:USDT": 6.0,
        "ETH/USDT:USDT": 6.0,
        "SOL/USDT:USDT": 2.0,
        "XRP/USDT:USDT": 6.0,
    }


def test_demo_trading_plans_the_unified_mechanism(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bybit's demo service is unified and serves no switch-isolated: ccxt assumes UTA2.0 there
    without asking, and so does the one account typing the CLI uses (issue 16)."""
    server = sim_server("uta2")
    demo_urls = {"urls": {"demotrading": ccxt_urls(server.url)}}
    files = write_config(
        tmp_path,
        server.url,
        extra={"exchange": {"demo_trading": True, "ccxt_config": demo_urls}},
    )

    assert run(files, "plan", "--json") == 0

    doc = json.loads(capsys.readouterr().out)
    assert (doc["account_type"], doc["endpoint"]) == ("uta2", "Bybit demo trading")
    assert {row["mechanism"] for row in doc["pairs"]} == {"account-mode+set-leverage"}
    assert doc["account_mode"]["target"] == "ISOLATED_MARGIN"
    # ccxt's demo probe asks nothing: the demo service serves neither of these
    assert server.sim.requests(path="/v5/user/query-api") == []
    assert writes(server.sim) == []
