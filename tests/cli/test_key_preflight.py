"""
The key preflight in the CLI (issue 18): ``apply`` with a key that cannot write stops before any
write with one line and exit 3; ``plan`` and ``status`` still read and say it, and a key that
expires within a week; the check adds no request (ccxt's probe answer is kept). Bybit's
``query-api``: https://bybit-exchange.github.io/docs/v5/user/apikey-info
"""

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import Server, run, write_config, writes


KEY, SECRET = "preflight-key-0001", "preflight-secret-0123456789"

CANNOT_WRITE = [
    ({"read_only": True}, "is read-only"),
    ({"permissions": {"ContractTrade": ["Order"]}}, "lacks the Contract permission Position"),
    ({"permissions": {"ContractTrade": ["Position"]}}, "lacks the Contract permission Order"),
]


def with_key(sim_server: Server, tmp_path: Path, **profile: Any) -> tuple[Any, list[str]]:
    server = sim_server("uta2", account_margin_mode="REGULAR_MARGIN")
    server.sim.add_api_key(KEY, SECRET, **profile)
    return server, write_config(tmp_path, server.url, key=KEY, secret=SECRET)


@pytest.mark.parametrize(("profile", "named"), CANNOT_WRITE, ids=["read-only", "no-pos", "no-ord"])
def test_apply_stops_before_any_write_with_one_line(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    profile: dict[str, Any],
    named: str,
) -> None:
    server, files = with_key(sim_server, tmp_path, **profile)

    code = run(files, "apply", "--yes")

    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if named in line]
    assert code == 3
    assert len(lines) == 1, err
    assert lines[0].endswith("Nothing was changed.")
    assert writes(server.sim) == []
    assert len(server.sim.requests(path="/v5/user/query-api")) == 1  # ccxt's probe, kept


def test_apply_as_json_reports_the_key(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, files = with_key(sim_server, tmp_path, read_only=True)

    assert run(files, "apply", "--yes", "--json") == 3

    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 3
    assert doc["error"]["type"] == "authentication"
    assert "is read-only" in doc["error"]["message"]
    assert writes(server.sim) == []


@pytest.mark.parametrize("command", ["plan", "status"])
def test_plan_and_status_still_read_and_say_it(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    server, files = with_key(sim_server, tmp_path, read_only=True, deadline_day=3)

    assert run(files, command) == 0

    out = " ".join(capsys.readouterr().out.split())
    assert "is read-only" in out
    assert "apply would stop before any change" in out
    assert "expires in 3 days" in out
    assert writes(server.sim) == []
    assert len(server.sim.requests(path="/v5/user/query-api")) == 1


def test_a_key_that_can_write_is_applied_as_before(
    sim_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, files = with_key(sim_server, tmp_path)

    assert run(files, "apply", "--yes") == 0

    assert "API key" not in capsys.readouterr().out
    assert server.sim.account_margin_mode == "ISOLATED_MARGIN"
    assert len(server.sim.requests(path="/v5/user/query-api")) == 1
