"""The runtime guard: the running freqtrade and ccxt judged by their versions and capabilities.

Each test changes the real installed freqtrade / ccxt the way an older or broken install
would look (a lower ``__version__``, an implicit endpoint absent, ``_lev_prep`` with another
signature, freqtrade not importable) and reads the one line :func:`runtime_problem` answers.
"""

from __future__ import annotations

import sys
from typing import Any

import ccxt
import freqtrade
import pytest
from freqtrade.exchange import Exchange

from freqtrade_bybit_margin.client.rest import sign_api
from freqtrade_bybit_margin.compat import (
    CCXT_BYBIT_NEEDS,
    SUPPORTED_CCXT,
    SUPPORTED_FREQTRADE,
    release_tuple,
    runtime_problem,
)


# Part of the compatibility set .ci/run repeats at both ends of the supported range.
pytestmark = pytest.mark.compat

NEEDS = f"freqtrade-bybit-margin needs freqtrade {SUPPORTED_FREQTRADE} and ccxt {SUPPORTED_CCXT}"


@pytest.fixture
def versions(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pretend to run the given freqtrade / ccxt versions (capabilities stay as installed)."""

    def pretend(freqtrade_version: str | None = None, ccxt_version: str | None = None) -> None:
        if freqtrade_version is not None:
            monkeypatch.setattr(freqtrade, "__version__", freqtrade_version)
        if ccxt_version is not None:
            monkeypatch.setattr(ccxt, "__version__", ccxt_version)

    return pretend


@pytest.fixture
def hide(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Remove an attribute from ``ccxt.bybit`` as an older ccxt would lack it.

    Implicit endpoints live on ``ccxt.abstract.bybit.ImplicitAPI`` and, once an instance was
    made, on ``ccxt.bybit`` too: every class of the MRO that holds the name loses it.
    """

    def remove(name: str, patch: pytest.MonkeyPatch = monkeypatch) -> None:
        owners = [klass for klass in ccxt.bybit.__mro__ if name in vars(klass)]
        assert owners, name
        for klass in owners:
            patch.delattr(klass, name)

    return remove


def test_supported_ranges_match_setup_cfg() -> None:
    from configparser import ConfigParser
    from pathlib import Path

    setup = ConfigParser()
    setup.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    requires = setup["options"]["install_requires"].split()
    assert f"freqtrade{SUPPORTED_FREQTRADE}" in requires
    assert f"ccxt{SUPPORTED_CCXT}" in requires


def test_the_running_freqtrade_and_ccxt_pass() -> None:
    assert runtime_problem() is None


@pytest.mark.parametrize(
    ("freqtrade_version", "ccxt_version"),
    [
        ("2025.10", "4.5.63"),  # both lower bounds
        ("2026.9", "4.5.90"),
        ("2026.10-dev-1a2b3c4d", "4.6.0"),  # freqtrade develop build, a newer ccxt
        ("2027.1", "5.0.0"),
        ("develop", "4.5.90.post1"),  # unparsable: judged by capabilities only
    ],
)
def test_versions_in_range_pass(versions: Any, freqtrade_version: str, ccxt_version: str) -> None:
    versions(freqtrade_version, ccxt_version)
    assert runtime_problem() is None


def test_ccxt_without_symbol_info_names_versions_ranges_and_the_missing_endpoint(
    versions: Any, hide: Any
) -> None:
    # ccxt 4.5.30 as freqtrade 2025.12 accepts it: no GET /v5/position/symbol-info.
    versions("2025.12", "4.5.30")
    hide("privateGetV5PositionSymbolInfo")

    assert runtime_problem() == (
        f"{NEEDS} (found freqtrade 2025.12, ccxt 4.5.30; ccxt 4.5.30 is older than 4.5.63; "
        "missing ccxt.bybit.privateGetV5PositionSymbolInfo)"
    )


def test_every_missing_ccxt_capability_is_named_even_when_the_version_looks_new(
    versions: Any, hide: Any
) -> None:
    versions(ccxt_version="4.6.0")
    hide("privatePostV5PositionSwitchIsolated")
    hide("is_unified_enabled")

    problem = runtime_problem()

    assert problem is not None
    assert problem.startswith(NEEDS + " (found freqtrade ")
    assert problem.endswith(
        "ccxt 4.6.0; missing ccxt.bybit.privatePostV5PositionSwitchIsolated, "
        "ccxt.bybit.is_unified_enabled)"
    )
    assert "\n" not in problem


def test_each_needed_ccxt_attribute_is_checked(monkeypatch: pytest.MonkeyPatch, hide: Any) -> None:
    ccxt.bybit()  # an instance copies the implicit endpoints onto the class: hide both
    for name in CCXT_BYBIT_NEEDS:
        with monkeypatch.context() as patch:
            hide(name, patch)
            problem = runtime_problem()
        assert problem is not None
        assert problem.endswith(f"; missing ccxt.bybit.{name})")


def test_old_freqtrade_is_named(versions: Any) -> None:
    versions("2025.9", "4.5.90")

    assert runtime_problem() == (
        f"{NEEDS} (found freqtrade 2025.9, ccxt 4.5.90; freqtrade 2025.9 is older than 2025.10)"
    )


def test_another_or_no_lev_prep_is_not_a_runtime_problem(
    versions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The glue then leaves freqtrade's per-order calls alone (and says so): entries go on."""
    versions("2026.9", "4.5.90")

    def _lev_prep(self: Any, pair: str, leverage: float, side: str) -> None:
        """A freqtrade that dropped ``accept_fail``."""

    monkeypatch.setattr(Exchange, "_lev_prep", _lev_prep)
    assert runtime_problem() is None
    monkeypatch.delattr(Exchange, "_lev_prep")
    assert runtime_problem() is None


def test_freqtrade_not_installed_is_a_problem_not_an_exception(
    versions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions(ccxt_version="4.5.90")
    monkeypatch.setitem(sys.modules, "freqtrade", None)  # "import freqtrade" -> ImportError

    assert runtime_problem() == (
        f"{NEEDS} (found freqtrade not installed, ccxt 4.5.90; freqtrade is not installed)"
    )


def test_freqtrade_exchange_not_importable_is_named(
    versions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions("2026.9", "4.5.90")
    monkeypatch.setitem(sys.modules, "freqtrade.exchange", None)

    problem = runtime_problem()

    assert problem is not None
    assert problem.startswith(f"{NEEDS} (found freqtrade 2026.9, ccxt 4.5.90; ")
    assert "freqtrade.exchange cannot be imported" in problem


def test_a_broken_import_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError(f"broken install: {name}")

    monkeypatch.setitem(sys.modules, "ccxt", Exploding())

    problem = runtime_problem()

    assert problem is not None
    assert "found freqtrade " in problem
    assert "ccxt unusable; ccxt is unusable (RuntimeError('broken install: " in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025.10", (2025, 10)),
        ("2026.5.1", (2026, 5, 1)),
        ("2026.10-dev-1a2b3c4d", (2026, 10)),
        ("2026.10.dev0", (2026, 10)),
        ("4.5.90", (4, 5, 90)),
        (" 4.5.63 ", (4, 5, 63)),
        ("develop", None),
        ("", None),
    ],
)
def test_release_tuple(text: str, expected: tuple[int, ...] | None) -> None:
    assert release_tuple(text) == expected


def test_sign_api_is_what_this_ccxt_signs_with() -> None:
    """Run at both ends of the range: ccxt 4.5.63 takes ``"private"``, 4.5.89+ ``["private"]``."""
    exchange = ccxt.bybit({"apiKey": "key", "secret": "secret"})

    request = exchange.sign(
        "v5/position/list", sign_api(exchange, "private"), "GET", {"category": "linear"}
    )

    assert request["url"] == "https://api.bybit.com/v5/position/list?category=linear"
    assert request["headers"]["X-BAPI-API-KEY"] == "key"
    assert "X-BAPI-SIGN" in request["headers"]


def test_sign_api_follows_the_sign_signature() -> None:
    class Before:  # ccxt <= 4.5.88
        def sign(self, path: str, api: Any = "public", method: str = "GET") -> None: ...

    class After:  # ccxt >= 4.5.89
        def sign(self, path: str, api: Any = ["public"], method: str = "GET") -> None:  # noqa: B006
            ...

    assert sign_api(Before(), "private") == "private"
    assert sign_api(After(), "private") == ["private"]
    assert sign_api(After, "public") == ["public"]
