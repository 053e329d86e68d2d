"""
The runtime guard: does the running freqtrade and ccxt have what the plugin uses?

``setup.cfg`` declares the same ranges, but ``pip install --no-deps``, a Docker image or a
later downgrade can leave a bot on versions outside them; then the plugin would fail with an
``AttributeError`` at its first Bybit request. :func:`runtime_problem` says so in one line
instead, and its callers fail closed (the mixin: no entry on Bybit futures; the CLI: exit 2).

Where the bounds come from (checked in each release's source, and run at both ends by
``.ci/run``):

- freqtrade 2025.10: first release with every internal the glue and the CLI use unchanged
  (``Exchange._lev_prep(pair, leverage, side, accept_fail)``, ``dp._exchange._api``, the
  strategy callbacks, ``ConfigurationError``, Bybit unified accounts accepted, and
  ``environment_vars_to_dict``, spelt ``enironment_vars_to_dict`` up to 2025.9).
- ccxt 4.5.63: first release with ``bybit.privateGetV5PositionSymbolInfo``
  (``GET /v5/position/symbol-info``, the one-request leverage read); 4.5.62 lacks it. The
  service signs that request through ``sign`` + ``fetch`` (``client/rest.py``), whose ``api``
  argument changed form in 4.5.89 (``client.rest.sign_api``).

Nothing here imports freqtrade or ccxt at module level: :func:`runtime_problem` imports them
when called, and reports an absent freqtrade instead of failing on it.
"""

from __future__ import annotations

import re


SUPPORTED_FREQTRADE = ">=2025.10"
"""freqtrade versions the plugin supports (as in ``setup.cfg``)."""
SUPPORTED_CCXT = ">=4.5.63"
"""ccxt versions the plugin supports (as in ``setup.cfg``)."""

_MIN_FREQTRADE = (2025, 10)
_MIN_CCXT = (4, 5, 63)

CCXT_BYBIT_NEEDS = (
    "privatePostV5PositionSwitchIsolated",
    "privatePostV5PositionSetLeverage",
    "privateGetV5PositionSymbolInfo",
    "privateGetV5PositionList",
    "privateGetV5OrderRealtime",
    "privateGetV5AccountInfo",
    "set_margin_mode",
    "set_leverage",
    "is_unified_enabled",
)
"""Attributes of ``ccxt.bybit`` the plugin calls (implicit endpoints and unified methods)."""


def runtime_problem() -> str | None:
    """
    Check the running freqtrade and ccxt against what the plugin needs.

    Versions come from ``freqtrade.__version__`` and ``ccxt.__version__``; capabilities are
    checked directly (the attributes of ``ccxt.bybit``, freqtrade's exchange layer), so a
    patched or development build is judged by what it has. ``Exchange._lev_prep`` with another
    signature is not a problem: the glue then leaves freqtrade's per-order calls in place.
    Never raises.
    :return: None when everything is there; otherwise one line naming the versions found,
        the ranges supported and what is missing or too old
    """
    found: list[str] = []
    issues: list[str] = []
    for name, check in (("freqtrade", _check_freqtrade), ("ccxt", _check_ccxt)):
        try:
            version, problems = check()
        except Exception as err:  # a broken install must not raise here
            version, problems = "unusable", [f"{name} is unusable ({err!r})"]
        found.append(f"{name} {version}")
        issues.extend(problems)
    if not issues:
        return None
    return (
        f"freqtrade-bybit-margin needs freqtrade {SUPPORTED_FREQTRADE} and ccxt "
        f"{SUPPORTED_CCXT} (found {', '.join(found)}; {'; '.join(issues)})"
    )


def _check_freqtrade() -> tuple[str, list[str]]:
    """:return: the running freqtrade's version and what it lacks"""
    try:
        import freqtrade
    except ImportError:
        return "not installed", ["freqtrade is not installed"]
    version = str(getattr(freqtrade, "__version__", "unknown"))
    problems = _too_old("freqtrade", version, _MIN_FREQTRADE)
    try:
        from freqtrade.exchange import Exchange  # noqa: F401  (the bot's exchange layer)
    except ImportError as err:
        return version, [*problems, f"freqtrade.exchange cannot be imported ({err})"]
    # Exchange._lev_prep with another signature is not a problem here: the glue then leaves
    # freqtrade's per-order calls in place and says so once (bot.internals.wrap_lev_prep).
    return version, problems


def _check_ccxt() -> tuple[str, list[str]]:
    """:return: the running ccxt's version and what its ``bybit`` class lacks"""
    try:
        import ccxt
    except ImportError:
        return "not installed", ["ccxt is not installed"]
    version = str(getattr(ccxt, "__version__", "unknown"))
    problems = _too_old("ccxt", version, _MIN_CCXT)
    bybit = getattr(ccxt, "bybit", None)
    base = getattr(ccxt, "Exchange", None)
    # ccxt's base Exchange has stubs (raising NotSupported) for the unified methods: only
    # bybit's own definition counts.
    missing = [
        name
        for name in CCXT_BYBIT_NEEDS
        if getattr(bybit, name, None) in (None, getattr(base, name, None))
    ]
    if missing:
        problems.append("missing " + ", ".join(f"ccxt.bybit.{name}" for name in missing))
    return version, problems


def _too_old(name: str, version: str, minimum: tuple[int, ...]) -> list[str]:
    """``["<name> <version> is older than <minimum>"]``, or ``[]`` (unparsable: not judged)."""
    parsed = release_tuple(version)
    if parsed is None or parsed >= minimum:
        return []
    return [f"{name} {version} is older than {'.'.join(map(str, minimum))}"]


def release_tuple(version: str) -> tuple[int, ...] | None:
    """
    The leading release numbers of a version string.

    ``"2026.5.1"`` -> ``(2026, 5, 1)``; freqtrade's development builds (``"2026.10-dev-1a2b"``)
    and PEP 440 suffixes (``"4.5.90.post1"``) keep their release part.
    :param version: a version string as in ``__version__``
    :return: the release numbers, or None when the string does not start with one
    """
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else None
