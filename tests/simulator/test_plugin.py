"""The pytest plugin as an installed plugin: its ``pytest11`` entry point, the marker, and
loading without requests-mock."""

from importlib.metadata import entry_points

import pytest


PLUGIN = "freqtrade_bybit_margin.simulator.pytest_plugin"


def test_entry_point_is_declared() -> None:
    (ep,) = [ep for ep in entry_points(group="pytest11") if ep.name == "bybit_sim"]
    assert ep.value == PLUGIN


def test_installed_plugin_provides_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        import requests

        def test_registered(request, bybit_sim):
            plugin = request.config.pluginmanager.get_plugin("bybit_sim")
            assert plugin.__name__ == "{PLUGIN}"
            assert bybit_sim.account_type == "classic"
            reply = requests.get("https://api.bybit.com/v5/market/time").json()
            assert reply["retCode"] == 0

        @pytest.mark.bybit_sim(account_type="uta2", rate_limits=False)
        def test_marker(bybit_sim_server):
            assert bybit_sim_server.sim.account_type == "uta2"
            assert bybit_sim_server.sim.rate_limits is False

        @pytest.mark.bybit_sim(strict_faults=True)
        def test_strict(bybit_sim):
            bybit_sim.inject_fault(path="/v5/market/time", ret_code=10016)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio")
    # test_strict passes, then its teardown errors: the fault never fired
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*1 injected fault(s) never fired: ret_code 10016*"])
    markers = pytester.runpytest("--markers", "-p", "no:asyncio")
    markers.stdout.fnmatch_lines(["@pytest.mark.bybit_sim(**kwargs)*"])


def test_plugin_loads_without_requests_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys
        import pytest

        @pytest.fixture
        def no_requests_mock(monkeypatch):
            monkeypatch.setitem(sys.modules, "requests_mock", None)

        def test_server_needs_no_requests_mock(no_requests_mock, bybit_sim_server):
            assert bybit_sim_server.url.startswith("http://127.0.0.1:")

        def test_mock_fixture_says_what_to_install(no_requests_mock, bybit_sim):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*install freqtrade-bybit-margin[[]simulator[]]*"])
