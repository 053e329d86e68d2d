"""
Bybit's maximum leverage, parsed once from its 110013 answer onto the typed ``Failure``:
``cannot set leverage [3000] gt maxLeverage [2500] by risk limit`` (values x100; reference
bybit-v5-margin.md, "Corrections and additions (2026-12-02)"), through ccxt's own
``handle_errors`` and through the simulator, which answers exactly that.
"""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from freqtrade_bybit_margin.client.classify import classify
from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.model import FailureKind
from freqtrade_bybit_margin.simulator import BybitSimulator
from tests.client.test_classify import raised_by_ccxt
from tests.sim_clients import sim_client


@pytest.mark.parametrize(
    ("ret_msg", "maximum"),
    [
        ("cannot set leverage [3000] gt maxLeverage [2500] by risk limit", Decimal(25)),
        ("cannot set leverage [5000] gt maxLeverage [2000] by risk limit", Decimal(20)),
        ("cannot set leverage [1000] gt maxLeverage [750] by risk limit", Decimal("7.5")),
        ("cannot set leverage [20000] gt maxLeverage [10000] by risk limit", Decimal(100)),
        ("Cannot set leverage due to risk limit level.", None),  # Bybit's documented wording
    ],
)
def test_bybits_maximum_is_parsed_from_110013(ret_msg: str, maximum: Decimal | None) -> None:
    failure = classify(raised_by_ccxt(110013, ret_msg))

    assert (failure.kind, failure.code, failure.max_leverage) == (
        FailureKind.REFUSED,
        110013,
        maximum,
    )
    assert ret_msg in failure.reason


def test_only_110013_carries_a_maximum() -> None:
    text = "cannot set leverage [3000] gt maxLeverage [2500] by risk limit"
    assert classify(raised_by_ccxt(10001, text)).max_leverage is None


def test_the_simulators_110013_names_the_live_maximum() -> None:
    """Bybit lowered the maximum after the markets were read: the answer names the new one."""
    sim = BybitSimulator("uta2", account_margin_mode="ISOLATED_MARGIN")
    exchange = sim_client(sim)
    sim.set_max_leverage("ETHUSDT", "12.5")

    with pytest.raises(ccxt.BaseError) as caught:
        exchange.set_leverage(20, "ETH/USDT:USDT")

    failure = classify(caught.value)
    assert (failure.code, failure.max_leverage) == (110013, Decimal("12.5"))
    assert [e.ret_code for e in sim.requests(path=Endpoint.SET_LEVERAGE)] == [110013]
