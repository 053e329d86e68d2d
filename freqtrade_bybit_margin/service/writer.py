"""
Carry out one pair's :class:`~freqtrade_bybit_margin.service.planning.Decision`: the writes that
differ, each confirmed only by a parsed Bybit answer (retCode 0, or "not modified").

- Classic (and UTA1.0 inverse): ``switch-isolated`` carries mode and leverage in one call; when
  Bybit answers 110026 (the mode already held: the read was stale) it changes nothing, the
  leverage included, so ``set-leverage`` follows.
  https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate
- leverage alone: ``set-leverage`` (110043 when it already holds).
  https://bybit-exchange.github.io/docs/v5/position/leverage
"""

from __future__ import annotations

from typing import Any

import ccxt

from freqtrade_bybit_margin.answers import ret_code_of
from freqtrade_bybit_margin.ccxt_ext import build_switch_request
from freqtrade_bybit_margin.constants import Endpoint, RetCode
from freqtrade_bybit_margin.model import PairTarget
from freqtrade_bybit_margin.service.calls import Caller, Counter
from freqtrade_bybit_margin.service.classify import is_not_modified
from freqtrade_bybit_margin.service.planning import Decision


__all__ = ["PairWriter"]


class PairWriter:
    """Sends a pair's writes on one ccxt instance (markets loaded)."""

    def __init__(self, exchange: Any, call: Caller) -> None:
        self._exchange = exchange
        self._call = call

    def write(self, target: PairTarget, decision: Decision, counter: Counter) -> bool:
        """
        Send the writes ``decision`` asks for.

        :return: True when Bybit changed something, False when everything already held
        :raise ccxt.BaseError: a refusal or a failure that retries did not overcome
        """
        request = build_switch_request(
            self._exchange, target.margin_mode.value, target.pair, {"leverage": target.leverage}
        )
        if decision.write_mode:
            try:
                self._call.post(Endpoint.SWITCH_ISOLATED, request.body, counter)
                return True
            except ccxt.BaseError as error:
                if ret_code_of(error) != RetCode.MARGIN_MODE_NOT_MODIFIED:
                    raise
            return self._set_leverage(request.leverage_body, counter)
        if decision.write_leverage:
            return self._set_leverage(request.leverage_body, counter)
        return False

    def _set_leverage(self, body: dict[str, Any], counter: Counter) -> bool:
        try:
            self._call.post(Endpoint.SET_LEVERAGE, body, counter)
        except ccxt.BaseError as error:
            if is_not_modified(error):
                return False
            raise
        return True
