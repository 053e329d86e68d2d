"""The CLI never prints the API key or its secret, whatever Bybit echoes (issue 18): Bybit's
signature errors quote the signed string, key included, and ccxt puts Bybit's answer verbatim
into its exception messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.simulator import DEFAULT_API_KEY, DEFAULT_API_SECRET

from .helpers import Server, run, write_config


ECHO = (
    f"error sign! origin_string[1700000000000{DEFAULT_API_KEY}5000"
    '{"category":"linear","symbol":"BTCUSDT"}] '
    f"(api key {DEFAULT_API_KEY}, secret {DEFAULT_API_SECRET})"
)


@pytest.mark.parametrize("args", [("apply", "--yes"), ("apply", "--yes", "--json")])
def test_no_output_carries_the_key_bybit_echoes(
    sim_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    args: tuple[str, ...],
) -> None:
    server = sim_server("classic")
    server.sim.refuse(
        path=Endpoint.SWITCH_ISOLATED,
        symbol="BTCUSDT",
        ret_code=int(RetCode.SIGNATURE_ERROR),
        ret_msg=ECHO,
    )
    files = write_config(tmp_path, server.url)

    code = run(files, *args)

    out, err = capsys.readouterr()
    echoed = [e for e in server.sim.journal if e.ret_code == RetCode.SIGNATURE_ERROR]
    assert echoed  # Bybit's answer carried the key ...
    assert code != 0
    assert "BTC/USDT:USDT" in out + err  # ... the user was told about the pair ...
    printed = out + err + caplog.text
    assert DEFAULT_API_KEY not in printed  # ... without the key
    assert DEFAULT_API_SECRET not in printed
