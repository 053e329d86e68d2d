"""
Position mode (one-way / hedge) per symbol and per settle coin, and Bybit's rules for
switching it (``POST /v5/position/switch-mode``).

https://bybit-exchange.github.io/docs/v5/position/position-mode : "Priority for configuration
to take effect: symbol > coin > system default"; "System default: one-way mode"; "If the
request is by coin (settleCoin), then all symbols based on this settleCoin that do not have
position and open order will be batch switched, and new listed symbol based on this settleCoin
will be the same mode you set." UTA2.0 table: USDT perpetual supports one-way and hedge; USDT
futures, USDC perpetual, inverse: one-way only. Errors (docs/v5/error.mdx): 110024 existing
position, 110028 open orders, 110025 not modified, 110029 hedge not supported.

How "no adjustments will be made for trading pairs with positions and orders" is kept: a busy
symbol without a symbol-level setting is *held* at the mode it had; the next coin switch that
finds it idle releases it to the coin rule. (The simulator's reading of the page's example.)
"""

from collections.abc import Callable, Iterable

from freqtrade_bybit_margin.constants import Category
from freqtrade_bybit_margin.simulator.exceptions import (
    HedgeNotSupportedError,
    OpenOrdersExistError,
    ParamsError,
    PositionExistsError,
    PositionModeNotModifiedError,
    SimulatorApiError,
)
from freqtrade_bybit_margin.simulator.instruments import Instrument


#: ``mode`` values of switch-mode: "0: Merged Single. 3: Both Sides"
ONE_WAY = 0
HEDGE = 3
MODES = (ONE_WAY, HEDGE)
#: ``positionIdx`` of the two sides of a hedge-mode symbol, and the side each one holds
#: (https://bybit-exchange.github.io/docs/v5/enum#positionidx)
BUY_SIDE_IDX = 1
SELL_SIDE_IDX = 2
SIDE_OF_IDX = {BUY_SIDE_IDX: "Buy", SELL_SIDE_IDX: "Sell"}
IDX_OF_SIDE = {"Buy": BUY_SIDE_IDX, "Sell": SELL_SIDE_IDX}
#: the only settle coin whose perpetuals support hedge mode (position-mode.mdx, UTA2.0 table)
HEDGE_SETTLE_COIN = "USDT"
POSITION_IDX_MISMATCH = "position idx not match position mode"


def hedge_supported(inst: Instrument) -> bool:
    """True for USDT-settled linear perpetuals, the only contracts with hedge mode."""
    return inst.category is Category.LINEAR and inst.settle == HEDGE_SETTLE_COIN


def check_position_idx(inst: Instrument, idx: int, hedge: bool) -> None:
    """An order's ``positionIdx`` against the symbol's mode: one-way takes 0, hedge 1 or 2.

    retMsg as Bybit answers it (ccxt issues 16952 and 24848, bybit-api issue 363).

    :raise ParamsError: 10001 "position idx not match position mode"
    """
    if (idx != 0) != hedge:
        raise ParamsError(POSITION_IDX_MISMATCH)


class PositionModes:
    """Symbol-level and coin-level position modes of one account (default: one-way)."""

    def __init__(self) -> None:
        self.symbols: dict[str, int] = {}
        self.coins: dict[str, int] = {}
        self.held: dict[str, int] = {}

    def mode(self, inst: Instrument) -> int:
        """The effective mode of ``inst``: symbol > (held) > coin > one-way."""
        if inst.symbol in self.symbols:
            return self.symbols[inst.symbol]
        if inst.symbol in self.held:
            return self.held[inst.symbol]
        return self.coins.get(inst.settle, ONE_WAY) if hedge_supported(inst) else ONE_WAY

    def is_hedge(self, inst: Instrument) -> bool:
        """True when ``inst`` is in hedge mode."""
        return self.mode(inst) == HEDGE

    def switch_symbol(
        self,
        inst: Instrument,
        mode: int,
        *,
        has_position: bool,
        has_orders: bool,
        refuse_hedge: SimulatorApiError | None = None,
    ) -> None:
        """Set the symbol-level mode of ``inst``.

        :param inst: the symbol
        :param mode: 0 one-way, 3 hedge
        :param has_position: the symbol holds a position (either side)
        :param has_orders: the symbol has open orders
        :param refuse_hedge: the error to raise for hedge (portfolio margin), if any
        :raise SimulatorApiError: 110025, 110029, 110024, 110028, or ``refuse_hedge``
        """
        if self.mode(inst) == mode:
            raise PositionModeNotModifiedError()
        if mode == HEDGE:
            if not hedge_supported(inst):
                raise HedgeNotSupportedError()
            if refuse_hedge is not None:
                raise refuse_hedge
        if has_position:
            raise PositionExistsError()
        if has_orders:
            raise OpenOrdersExistError()
        self.symbols[inst.symbol] = mode
        self.held.pop(inst.symbol, None)

    def switch_coin(
        self,
        coin: str,
        mode: int,
        insts: Iterable[Instrument],
        *,
        busy: Callable[[str], bool],
        unchanged_ret_code: int = 0,
        refuse_hedge: SimulatorApiError | None = None,
    ) -> None:
        """Set the coin-level mode: idle symbols without a symbol setting follow it.

        :param coin: the settle coin
        :param mode: 0 one-way, 3 hedge
        :param insts: the derivatives settled in ``coin`` (of the request's category)
        :param busy: whether a symbol holds a position or open orders
        :param unchanged_ret_code: retCode when the coin already has ``mode`` (0: accept)
        :param refuse_hedge: the error to raise for hedge (portfolio margin), if any
        :raise SimulatorApiError: 10001 unknown coin, 110029, ``unchanged_ret_code``,
            ``refuse_hedge``
        """
        members = list(insts)
        if not members:
            raise ParamsError(f"params error: coin {coin!r} settles no contract of the category")
        if mode == HEDGE and not all(hedge_supported(i) for i in members):
            raise HedgeNotSupportedError()
        if mode == HEDGE and refuse_hedge is not None:
            raise refuse_hedge
        if unchanged_ret_code and self.coins.get(coin, ONE_WAY) == mode:
            raise PositionModeNotModifiedError(code=unchanged_ret_code)
        for inst in members:
            if inst.symbol in self.symbols:
                continue
            if busy(inst.symbol):
                self.held.setdefault(inst.symbol, self.mode(inst))
            else:
                self.held.pop(inst.symbol, None)
        self.coins[coin] = mode

    def seed_symbol(self, inst: Instrument, hedge: bool) -> None:
        """Set a symbol-level mode with no rule checks but the contract's support.

        :raise ValueError: hedge on a contract without hedge mode
        """
        if hedge and not hedge_supported(inst):
            raise ValueError(
                f"hedge mode for {inst.symbol} is not allowed; allowed: USDT-settled linear "
                "perpetuals"
            )
        self.symbols[inst.symbol] = HEDGE if hedge else ONE_WAY
        self.held.pop(inst.symbol, None)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """JSON-ready copy of the settings."""
        return {"symbols": dict(self.symbols), "coins": dict(self.coins), "held": dict(self.held)}
