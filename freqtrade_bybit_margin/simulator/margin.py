"""
Margin rules of one account: the per-symbol settings (margin mode, leverage), the
account-wide margin mode, and Bybit's rules for changing them on each account type.

No orders or positions here: whoever calls says whether a symbol is busy, and how to cancel
its orders when a knob says so (see :class:`~.backend.AccountBackend`).
"""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode, AccountType, Category
from freqtrade_bybit_margin.simulator.entities import SymbolSettings
from freqtrade_bybit_margin.simulator.exceptions import (
    LeverageNotModifiedError,
    MarginModeNotModifiedError,
    ParamsError,
    SetMarginModeFailedError,
    SimulatorApiError,
    UnifiedAccountForbiddenError,
)
from freqtrade_bybit_margin.simulator.formatting import fmt
from freqtrade_bybit_margin.simulator.instruments import DERIVATIVES, Instrument
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.rules import (
    FLAT_SIDE_NONE,
    FLAT_SIDE_TEXT,
    PER_SYMBOL_MARGIN_MODE,
    SWITCH_ISOLATED_SUPPORT,
)


#: v3 unified-margin reason codes for a mode switch blocked by positions / orders (the V5 page
#: documents only the PM equity reason), https://bybit-exchange.github.io/docs/derivatives/unified/usc-margin-mode
REASON_POSITIONS = "3400101"
REASON_ORDERS = "3400102"
#: documented reason of a refused switch to PORTFOLIO_MARGIN
#: (https://bybit-exchange.github.io/docs/v5/account/set-margin-mode)
REASON_PM_EQUITY = ("3400000", "Equity needs to be equal to or greater than 1000 USDC")


class MarginRules:
    """Per-symbol and account-wide margin settings and the rules that change them.

    :param account_type: the account's generation
    :param account_margin_mode: starting account-wide mode (reported by UTAs only)
    :param knobs: behaviour switches for undocumented cases
    """

    def __init__(
        self, *, account_type: AccountType, account_margin_mode: str, knobs: SimKnobs
    ) -> None:
        self.account_type = account_type
        self.account_margin_mode = account_margin_mode
        self.knobs = knobs
        self.settings: dict[str, SymbolSettings] = {}

    def settings_of(self, symbol: str) -> SymbolSettings:
        """Margin settings of ``symbol`` (created with the defaults on first use)."""
        if symbol not in self.settings:
            self.settings[symbol] = SymbolSettings(0, Decimal(self.knobs.default_leverage))
        return self.settings[symbol]

    def leverage(self, symbol: str) -> Decimal:
        """The leverage set on ``symbol``."""
        return self.settings_of(symbol).leverage

    def per_symbol_mode(self, inst: Instrument) -> bool:
        """True where the margin mode is per symbol (classic, UTA1.0 inverse)."""
        return (self.account_type, inst.category) in PER_SYMBOL_MARGIN_MODE

    def effective_trade_mode(self, inst: Instrument) -> int:
        """Per-symbol mode where it exists, else the account-wide mode as 0/1."""
        if self.per_symbol_mode(inst):
            return self.settings_of(inst.symbol).trade_mode
        return 1 if self.account_margin_mode == AccountMarginMode.ISOLATED else 0

    def row_trade_mode(self, inst: Instrument) -> int:
        """``tradeMode`` as ``/v5/position/list`` reports it (UTA linear: always 0)."""
        return self.settings_of(inst.symbol).trade_mode if self.per_symbol_mode(inst) else 0

    def flat_side(self, inst: Instrument) -> str:
        """``side`` of a flat one-way row (see ``rules.FLAT_SIDE_NONE``)."""
        return FLAT_SIDE_TEXT if (self.account_type, inst.category) in FLAT_SIDE_NONE else ""

    def reported_margin_mode(self) -> str:
        """``marginMode`` of ``/v5/account/info`` (a Classic account reports cross)."""
        if self.account_type == AccountType.CLASSIC:
            return AccountMarginMode.CROSS.value
        return self.account_margin_mode

    def require_switch_isolated(self, category: str) -> None:
        """Refuse ``switch-isolated`` where the account type does not serve ``category``.

        :raise ParamsError: 10001 for a category other than linear / inverse
        :raise UnifiedAccountForbiddenError: 100028 (UTA2.0: ``uta2_switch_isolated_ret_code``)
        """
        if category not in DERIVATIVES:
            raise ParamsError(f"params error: category {category!r} not supported")
        if (self.account_type, Category(category)) in SWITCH_ISOLATED_SUPPORT:
            return
        if self.account_type == AccountType.UTA2:
            raise UnifiedAccountForbiddenError(code=self.knobs.uta2_switch_isolated_ret_code)
        raise UnifiedAccountForbiddenError()

    def switch_isolated(
        self,
        inst: Instrument,
        *,
        trade_mode: int,
        buy_leverage: Decimal,
        sell_leverage: Decimal,
        busy: bool,
        cancel_orders: Callable[[], None],
    ) -> dict[str, Any]:
        """``POST /v5/position/switch-isolated`` on a served category.

        https://bybit-exchange.github.io/docs/v5/abandon/cross-isolate

        :param inst: the symbol
        :param trade_mode: 0 cross, 1 isolated
        :param buy_leverage: must equal ``sell_leverage``
        :param sell_leverage: must equal ``buy_leverage``
        :param busy: the symbol has a position or an open order
        :param cancel_orders: cancels the symbol's open orders (knob ``"cancel"``)
        :return: ``{}``
        :raise SimulatorApiError: 10001 (USDC, leverage, busy), 110026 (mode already set)
        """
        if inst.settle == "USDC":
            # UNVERIFIED reply: the 2023-04..2024-05 page covered "USDT perpetual / Inverse" only.
            raise ParamsError(f"params error: {inst.symbol} is USDC-settled; use set-margin-mode")
        settings = self._checked(inst, buy_leverage, sell_leverage)
        if settings.trade_mode == trade_mode:
            # Bybit answers 110026 and leaves the leverage as it was even when the request
            # carries another one (ccxt issue 13046): model that.
            raise MarginModeNotModifiedError()
        if busy:
            # UNVERIFIED: Bybit documents nothing for V5 here; see SimKnobs.
            if self.knobs.switch_with_open_position == "reject":
                raise ParamsError(
                    f"params error: {inst.symbol} position or active order exists; "
                    "cannot switch margin mode"
                )
            cancel_orders()
        settings.trade_mode = trade_mode
        settings.leverage = buy_leverage
        return {}

    def set_leverage(
        self, inst: Instrument, *, buy_leverage: Decimal, sell_leverage: Decimal
    ) -> Decimal:
        """``POST /v5/position/set-leverage`` (one-way mode: buy must equal sell).

        https://bybit-exchange.github.io/docs/v5/position/leverage

        :return: the new leverage
        :raise SimulatorApiError: 10001 (bad leverage), 110043 (already set)
        """
        settings = self._checked(inst, buy_leverage, sell_leverage)
        if settings.leverage == buy_leverage:
            raise LeverageNotModifiedError()
        settings.leverage = buy_leverage
        return buy_leverage

    def _checked(self, inst: Instrument, buy: Decimal, sell: Decimal) -> SymbolSettings:
        """The symbol's settings once ``buy`` = ``sell`` (one-way mode) passed its filter.

        :raise ParamsError: 10001 naming the leverages or the filter
        """
        if buy != sell:
            raise ParamsError(
                f"params error: buyLeverage ({fmt(buy)}) must equal sellLeverage ({fmt(sell)}) "
                "in one-way mode"
            )
        inst.check_leverage(buy)
        return self.settings_of(inst.symbol)

    def set_margin_mode(
        self, mode: str, *, positions: Iterable[str], orders: Iterable[str]
    ) -> dict[str, Any]:
        """``POST /v5/account/set-margin-mode`` (account-wide).

        https://bybit-exchange.github.io/docs/v5/account/set-margin-mode

        :param mode: ``ISOLATED_MARGIN``, ``REGULAR_MARGIN`` or ``PORTFOLIO_MARGIN``
        :param positions: symbols with an open position
        :param orders: symbols with an open order
        :return: ``{"reasons": []}``
        :raise SimulatorApiError: 110073 with ``result.reasons``
        """
        if self.account_type == AccountType.CLASSIC:
            return self._classic_set_margin_mode(mode)
        if mode == AccountMarginMode.PORTFOLIO:
            # Portfolio margin is not modelled: always refused with the documented reason.
            raise _refused([REASON_PM_EQUITY])
        if mode == self.account_margin_mode:
            if self.knobs.same_margin_mode_ret_code:
                raise SimulatorApiError(
                    "margin mode not modified", code=self.knobs.same_margin_mode_ret_code
                )
            return {"reasons": []}
        reasons = []
        busy_positions = sorted(set(positions))
        if busy_positions:
            msg = "Please close all positions before switching margin mode: "
            reasons.append((REASON_POSITIONS, msg + ",".join(busy_positions)))
        busy_orders = sorted(set(orders))
        if busy_orders:
            msg = "Please cancel all active orders before switching margin mode: "
            reasons.append((REASON_ORDERS, msg + ",".join(busy_orders)))
        if reasons:
            raise _refused(reasons)
        self.account_margin_mode = mode
        return {"reasons": []}

    def _classic_set_margin_mode(self, mode: str) -> dict[str, Any]:
        """Classic accounts, modelled on the evidence in ``SimKnobs.classic_set_margin_mode``."""
        if self.knobs.classic_set_margin_mode == "usdc_docs":
            if mode == AccountMarginMode.CROSS:
                return {"reasons": []}
            if mode == AccountMarginMode.PORTFOLIO:
                raise _refused([REASON_PM_EQUITY])
        raise _refused([])

    @staticmethod
    def switch_position_mode(mode: int) -> dict[str, Any]:
        """``POST /v5/position/switch-mode``: one-way (0) only; answered 0 even when unchanged.

        Bybit would say 110025 when nothing changes, but freqtrade aborts its startup on that
        (live-path notes §7); the simulator models a one-way account that always accepts 0.
        https://bybit-exchange.github.io/docs/v5/position/position-mode
        """
        if mode != 0:
            raise ParamsError("params error: the simulator models one-way mode (mode 0) only")
        return {}

    def symbol_info_rows(self, insts: Iterable[Instrument]) -> list[dict[str, Any]]:
        """``GET /v5/position/symbol-info`` rows (leverage without a position).

        https://bybit-exchange.github.io/docs/v5/position/batch-lvg
        """
        return [
            {
                "symbol": i.symbol,
                "leverage": fmt(self.leverage(i.symbol)),
                "side": "",
                "positionIdx": 0,
            }
            for i in insts
        ]


def _refused(reasons: list[tuple[str, str]]) -> SetMarginModeFailedError:
    """A 110073 carrying ``result.reasons``."""
    rows = [{"reasonCode": code, "reasonMsg": msg} for code, msg in reasons]
    return SetMarginModeFailedError(result={"reasons": rows})
