"""Route tables and :func:`ccxt_urls`."""

import ccxt
import pytest

from freqtrade_bybit_margin.constants import Endpoint
from freqtrade_bybit_margin.simulator import ccxt_urls
from freqtrade_bybit_margin.simulator.urls import CONTROL_PREFIX, CONTROL_ROUTES, ROUTES


def test_ccxt_urls_covers_every_api_group_of_ccxt_bybit() -> None:
    urls = ccxt_urls("http://127.0.0.1:54321/")
    assert set(urls) == set(ccxt.bybit().urls["api"])
    assert set(urls.values()) == {"http://127.0.0.1:54321"}


@pytest.mark.parametrize("bad", ["127.0.0.1:5000", "", "ftp://x", "http://"])
def test_ccxt_urls_refuses_what_is_not_an_http_url(bad: str) -> None:
    with pytest.raises(ValueError, match="is not an http\\(s\\) URL"):
        ccxt_urls(bad)


def test_every_endpoint_is_routed_and_control_routes_stay_apart() -> None:
    assert set(ROUTES) == set(Endpoint)
    assert all(path.startswith(CONTROL_PREFIX) for _, path in CONTROL_ROUTES)
