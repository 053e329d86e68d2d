"""
Margin rules of one account: the per-symbol settings (margin mode, leverage), the
account-wide margin mode, and Bybit's rules for changing them on each account type.

No orders or positions here: whoever calls says whether a symbol is busy, and how to cancel
its orders when a knob says so (see :class:`~.backend.AccountBackend`).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode, AccountType, Category, RetCode
from freqtrade_bybit_margin.simulator.entities import SymbolSettings
from freqtrade_bybit_margin.simulator.exceptions import (
    LeverageNotModifiedError,
    MarginModeNotModifiedError,
    ParamsError,
    PortfolioLeverageError,
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


@dataclass(frozen=True)
class Blockers:
    """What stands in the way of an account margin mode switch.

    :param positions: symbols with an open position, every category (options included)
    :param orders: symbols with an open order
    :param liabilities: coin -> spot-margin borrowing (isolated margin excludes spot margin)
    """

    positions: Iterable[str] = ()
    orders: Iterable[str] = ()
    liabilities: Mapping[str, Decimal] = field(default_factory=dict)


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
        #: coins whose collateral reached the platform limit (3200641 on a mode switch)
        self.collateral_at_limit: set[str] = set()

    def settings_of(self, symbol: str) -> SymbolSettings:
        """Margin settings of ``symbol`` (created with the defaults on first use)."""
        if symbol not in self.settings:
            lev = Decimal(self.knobs.default_leverage)
            self.settings[symbol] = SymbolSettings(0, lev, lev)
        return self.settings[symbol]

    def leverage(self, symbol: str) -> Decimal:
        """The leverage set on ``symbol`` (one-way; hedge: the Buy side)."""
        return self.settings_of(symbol).leverage

    def leverage_of(self, symbol: str, idx: int) -> Decimal:
        """The leverage of ``symbol``'s ``positionIdx`` ``idx``."""
        return self.settings_of(symbol).leverage_of(idx)

    @property
    def portfolio(self) -> bool:
        """True under portfolio margin (unified accounts)."""
        return (
            self.account_type != AccountType.CLASSIC
            and self.account_margin_mode == AccountMarginMode.PORTFOLIO
        )

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
        settings.leverage = settings.sell_leverage = buy_leverage
        return {}

    def set_leverage(
        self, inst: Instrument, *, buy_leverage: Decimal, sell_leverage: Decimal, hedge: bool
    ) -> tuple[Decimal, Decimal]:
        """``POST /v5/position/set-leverage``: one-way and cross hedge need buy = sell; a
        hedge-mode symbol in isolated margin may take two leverages.

        https://bybit-exchange.github.io/docs/v5/position/leverage

        :return: the new ``(buy, sell)`` leverages
        :raise SimulatorApiError: 10001 (bad leverage), 110013 (above the maximum), 110038
            (portfolio margin), 110043 (already set)
        """
        if self.portfolio:
            raise PortfolioLeverageError()
        isolated = self.effective_trade_mode(inst) == 1
        if buy_leverage != sell_leverage and not (hedge and isolated):
            where = "hedge mode with cross margin" if hedge else "one-way mode"
            raise ParamsError(
                f"params error: buyLeverage ({fmt(buy_leverage)}) must equal sellLeverage "
                f"({fmt(sell_leverage)}) in {where}"
            )
        inst.check_leverage(buy_leverage)
        inst.check_leverage(sell_leverage)
        settings = self.settings_of(inst.symbol)
        if (settings.leverage, settings.sell_leverage) == (buy_leverage, sell_leverage):
            raise LeverageNotModifiedError()
        settings.leverage, settings.sell_leverage = buy_leverage, sell_leverage
        return buy_leverage, sell_leverage

    def _checked(self, inst: Instrument, buy: Decimal, sell: Decimal) -> SymbolSettings:
        """The symbol's settings once ``buy`` = ``sell`` passed its filter (switch-isolated:
        "buyLeverage must equal sellLeverage", cross-isolate.mdx).

        :raise ParamsError: 10001 naming the leverages or the filter
        :raise LeverageRiskLimitError: 110013 above the maximum
        """
        if buy != sell:
            raise ParamsError(
                f"params error: buyLeverage ({fmt(buy)}) must equal sellLeverage ({fmt(sell)}) "
                "in one-way mode"
            )
        inst.check_leverage(buy)
        return self.settings_of(inst.symbol)

    def set_margin_mode(self, mode: str, blockers: Blockers) -> dict[str, Any]:
        """``POST /v5/account/set-margin-mode`` (account-wide).

        https://bybit-exchange.github.io/docs/v5/account/set-margin-mode . Positions (every
        category) and open orders block any switch; option positions and spot-margin
        liabilities also block ISOLATED_MARGIN ("Spot Margin / USDC Options: Supported (Not in
        Isolated Margin Mode)", reference A4); a coin at its collateral limit answers 3200641.

        :param mode: ``ISOLATED_MARGIN``, ``REGULAR_MARGIN`` or ``PORTFOLIO_MARGIN``
        :param blockers: what the account holds
        :return: ``{"reasons": []}``
        :raise SimulatorApiError: 110073 with ``result.reasons``, 3200641
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
        if self.collateral_at_limit:
            coin = sorted(self.collateral_at_limit)[0]
            raise SimulatorApiError(
                f"{coin} collateral has reached the platform limit. Disable {coin} collateral "
                "before switching margin mode.",
                code=int(RetCode.COLLATERAL_LIMIT),
            )
        reasons = refusal_reasons(mode, blockers, self.knobs.liability_reason_code)
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

    def symbol_info_rows(
        self, insts: Iterable[Instrument], indices_of: Callable[[Instrument], tuple[int, ...]]
    ) -> list[dict[str, Any]]:
        """``GET /v5/position/symbol-info`` rows (leverage without a position), one per
        ``positionIdx`` of the symbol's mode.

        https://bybit-exchange.github.io/docs/v5/position/batch-lvg : ``side`` is a
        "Meaningless field"; the page's hedge example shows ``"Sell"`` on both rows.

        :param insts: the symbols
        :param indices_of: ``(0,)`` for one-way, the two hedge sides in row order otherwise
        """
        return [
            {
                "symbol": i.symbol,
                "leverage": fmt(self.leverage_of(i.symbol, idx)),
                "side": "Sell" if idx else "",
                "positionIdx": idx,
            }
            for i in insts
            for idx in indices_of(i)
        ]


def refusal_reasons(mode: str, blockers: Blockers, liability_code: str) -> list[tuple[str, str]]:
    """``reasons`` of a refused margin-mode switch (empty: allowed).

    :param mode: the target mode
    :param blockers: what the account holds
    :param liability_code: ``reasonCode`` for spot-margin liabilities (a knob)
    """
    reasons = []
    busy = sorted(set(blockers.positions))
    if busy:
        msg = "Please close all positions before switching margin mode: "
        reasons.append((REASON_POSITIONS, msg + ",".join(busy)))
    busy_orders = sorted(set(blockers.orders))
    if busy_orders:
        msg = "Please cancel all active orders before switching margin mode: "
        reasons.append((REASON_ORDERS, msg + ",".join(busy_orders)))
    owed = {c: a for c, a in blockers.liabilities.items() if a > 0}
    if mode == AccountMarginMode.ISOLATED and owed:
        text = ",".join(f"{c} {fmt(a)}" for c, a in sorted(owed.items()))
        msg = f"Please repay spot margin liabilities before switching to isolated margin: {text}"
        reasons.append((liability_code, msg))
    return reasons


def _refused(reasons: list[tuple[str, str]]) -> SetMarginModeFailedError:
    """A 110073 carrying ``result.reasons``."""
    rows = [{"reasonCode": code, "reasonMsg": msg} for code, msg in reasons]
    return SetMarginModeFailedError(result={"reasons": rows})
