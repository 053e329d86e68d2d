"""
Say what happened where freqtrade stays quiet or Bybit changed something between runs:

- a configured pair whose Bybit market is listed but not trading (``PreLaunch``): freqtrade drops
  it from the whitelist with an INFO line; the plugin, whose job is "every configured pair
  prepared", says so at WARNING;
- an account whose type differs from the last run's on the same key (a Classic account upgraded
  to a unified one changes how margin mode is set): one INFO line. The last type seen is kept per
  key fingerprint (never the key) in ``<user_data_dir>/bybit_margin_state.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ccxt

from freqtrade_bybit_margin.model import AccountType
from freqtrade_bybit_margin.service import MarginService


__all__ = ["STATE_FILE", "AccountHistory", "not_trading"]

logger = logging.getLogger("freqtrade_bybit_margin.bot")

#: The file in freqtrade's user data directory the last account type per key is kept in.
STATE_FILE = "bybit_margin_state.json"

#: How margin mode and leverage are set, per account type (for the change's one line).
MECHANISM = {
    AccountType.CLASSIC: "per symbol (switch-isolated)",
    AccountType.UTA1: "account-wide margin mode for linear contracts (set-margin-mode), "
    "per symbol for inverse (switch-isolated), leverage per symbol",
    AccountType.UTA2: "account-wide margin mode (set-margin-mode) and leverage per symbol",
}


def not_trading(pairs: Iterable[str], markets: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """
    One line per pair whose Bybit market is listed but not trading.

    :param pairs: the configured pairs (``exchange.pair_whitelist``)
    :param markets: ccxt's markets (``active`` and Bybit's own ``info.status``)
    :return: pair -> its line, in the order of ``pairs``
    """
    lines = {}
    for pair in dict.fromkeys(pairs):
        market = markets.get(pair)
        if market is None or market.get("active") is not False:
            continue
        status = (market.get("info") or {}).get("status") or "not trading"
        lines[pair] = (
            f"Bybit margin: {pair} is in exchange.pair_whitelist but its Bybit market is not "
            f"trading (status {status}): freqtrade leaves it out of the whitelist, so the "
            "plugin does not prepare it and no trade opens on it; it is prepared once Bybit "
            "trades it and freqtrade adds it again."
        )
    return lines


class AccountHistory:
    """The last account type seen per key, in a small JSON file; failures never stop the bot.

    :param directory: freqtrade's user data directory (None: nothing is kept)
    """

    def __init__(self, directory: str | os.PathLike[str] | None) -> None:
        self._path = Path(directory) / STATE_FILE if directory else None

    def after_start(self, service: MarginService, api_key: str | None) -> str:
        """:meth:`changed` for the account the service typed at startup ("" when it could
        not type it: the startup summary said why, and the next start compares)."""
        try:
            typed = service.account_type
        except ccxt.BaseError:
            return ""
        return self.changed(str(api_key or ""), typed)

    def changed(self, api_key: str, account_type: AccountType, now: float | None = None) -> str:
        """
        Remember ``account_type`` for ``api_key``; the INFO line to log when it differs from
        the last run's ("" when it does not, or on the first run).
        """
        if self._path is None or not api_key:
            return ""
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        state = self._read()
        last = state.get(fingerprint)
        state[fingerprint] = {"account_type": account_type.value, "at": now or time.time()}
        self._write(state)
        if not isinstance(last, dict) or last.get("account_type") == account_type.value:
            return ""
        try:
            before = AccountType(last["account_type"]).label
        except ValueError:
            return ""
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(last.get("at", 0))))
        return (
            f"Bybit margin: this account is {account_type.label} now; the last run on this key "
            f"({when}) found {before}. Margin mode and leverage are now set "
            f"{MECHANISM[account_type]}."
        )

    def _read(self) -> dict[str, Any]:
        assert self._path is not None
        try:
            data = json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            logger.info(
                "Bybit margin: %s could not be read (%s); starting it anew.", self._path, err
            )
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, state: Mapping[str, Any]) -> None:
        assert self._path is not None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self._path.parent, prefix=".bybit_margin_", delete=False
            ) as handle:
                json.dump(state, handle, indent=1, sort_keys=True)
            os.replace(handle.name, self._path)
        except OSError as err:
            logger.info("Bybit margin: %s could not be written (%s).", self._path, err)
