"""
:class:`MarketControls`: the handles that change what Bybit says about a market (mixed into
:class:`~.core.BybitSimulator`): a lowered maximum leverage, as Bybit's automatic risk limits
do, and an instrument's trading status.
"""

import threading

from freqtrade_bybit_margin.simulator.backend import AccountBackend
from freqtrade_bybit_margin.simulator.seeding import positive


class MarketControls:
    """Market handles of a simulator (see the module docstring)."""

    _lock: threading.RLock
    backend: AccountBackend

    def set_max_leverage(
        self, symbol: str, max_leverage: str, *, force: bool = False, grace_ms: int | None = None
    ) -> None:
        """Lower (or raise) a symbol's live maximum leverage, as Bybit's automatic risk
        limits do: ``instruments-info`` ``leverageFilter.maxLeverage``, the ``risk-limit``
        tiers and set-leverage / switch-isolated (110013 above it) follow at once.

        :param max_leverage: the new maximum, e.g. ``"25"``
        :param force: also bring the symbol's leverage and its positions down to it, stamping
            ``leverageSysUpdatedTime``
        :param grace_ms: with ``force``: announce the cut (positions ``isReduceOnly``,
            ``leverageSysUpdatedTime`` = when) and apply it after ``grace_ms``
        :raise KeyError: unknown derivative; ValueError: a maximum its filter cannot take
        """
        with self._lock:
            self.backend.set_max_leverage(
                symbol, positive(max_leverage, "max_leverage"), force=force, grace_ms=grace_ms
            )

    def set_instrument_status(self, symbol: str, status: str) -> None:
        """Set a derivative's ``status`` in instruments-info (``PreLaunch`` for a pre-market
        listing: ccxt marks it inactive and freqtrade leaves it out of the whitelist).

        :raise KeyError: unknown derivative; ValueError: a status Bybit does not document
        """
        with self._lock:
            self.backend.catalogue.set_status(symbol, status)
