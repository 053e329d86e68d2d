"""
:class:`AccountBackend`: one simulated Bybit account, one method per API operation.

It owns the parts and orchestrates them (moto's backend role): the catalogue and prices,
:class:`~.margin.MarginRules`, the :class:`~.matching.MatchingEngine` with its
:class:`~.positions.PositionBook`, and the :class:`~.wallet.Wallet`. No HTTP here: methods
take typed keyword arguments, return ``result`` dicts and raise
:class:`~.exceptions.SimulatorApiError` subclasses.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountType, Category
from freqtrade_bybit_margin.simulator import wallet as wallet_views
from freqtrade_bybit_margin.simulator.entities import Sequence
from freqtrade_bybit_margin.simulator.exceptions import ParamsError
from freqtrade_bybit_margin.simulator.formatting import fmt
from freqtrade_bybit_margin.simulator.instruments import Catalogue, Instrument
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.margin import MarginRules
from freqtrade_bybit_margin.simulator.market_data import PriceModel
from freqtrade_bybit_margin.simulator.matching import MatchingEngine, OrderBook
from freqtrade_bybit_margin.simulator.positions import PositionBook
from freqtrade_bybit_margin.simulator.rules import (
    QUERY_API_UTA,
    UNIFIED_MARGIN_STATUS,
    WALLET_ACCOUNT_TYPES,
)
from freqtrade_bybit_margin.simulator.wallet import Wallet


#: UID of the simulated account
SIM_UID = 100_000_001


class AccountBackend:
    """State and rules of one simulated Bybit account.

    :param account_type: the account's generation
    :param account_margin_mode: starting account-wide margin mode
    :param catalogue: the instruments served
    :param prices: the price path
    :param knobs: behaviour switches
    :param clock: epoch ms
    """

    def __init__(
        self,
        *,
        account_type: AccountType,
        account_margin_mode: str,
        catalogue: Catalogue,
        prices: PriceModel,
        knobs: SimKnobs,
        clock: Callable[[], int],
    ) -> None:
        self.account_type = account_type
        self.catalogue = catalogue
        self.prices = prices
        self.knobs = knobs
        self.clock = clock
        seq = Sequence()
        self.margin = MarginRules(
            account_type=account_type, account_margin_mode=account_margin_mode, knobs=knobs
        )
        self.wallet = Wallet(knobs.starting_balance)
        self.positions = PositionBook(self.wallet, seq)
        self.book = OrderBook(clock=clock, knobs=knobs)
        self.engine = MatchingEngine(
            prices=prices,
            knobs=knobs,
            clock=clock,
            wallet=self.wallet,
            positions=self.positions,
            leverage_of=self.margin.leverage,
            seq=seq,
            book=self.book,
        )

    def mark(self, inst: Instrument) -> Decimal:
        """Current mark price of ``inst``."""
        return self.prices.price(inst, self.clock())

    def tick(self) -> None:
        """Let time act before a request: fill resting orders the price crossed."""
        self.engine.tick()

    # ---------------------------------------------------------------- margin & leverage

    def switch_isolated(
        self,
        *,
        category: str,
        symbol: str,
        trade_mode: int,
        buy_leverage: Decimal,
        sell_leverage: Decimal,
    ) -> dict[str, Any]:
        """``POST /v5/position/switch-isolated`` (see :meth:`.MarginRules.switch_isolated`)."""
        self.margin.require_switch_isolated(category)
        inst = self.catalogue.derivative(category, symbol)
        return self.margin.switch_isolated(
            inst,
            trade_mode=trade_mode,
            buy_leverage=buy_leverage,
            sell_leverage=sell_leverage,
            busy=self.engine.busy(symbol),
            cancel_orders=lambda: self.book.cancel_symbol_orders(symbol),
        )

    def set_leverage(
        self, *, category: str, symbol: str, buy_leverage: Decimal, sell_leverage: Decimal
    ) -> dict[str, Any]:
        """``POST /v5/position/set-leverage``; an open position takes the new leverage."""
        inst = self.catalogue.derivative(category, symbol)
        leverage = self.margin.set_leverage(
            inst, buy_leverage=buy_leverage, sell_leverage=sell_leverage
        )
        self.positions.set_leverage(symbol, leverage, self.clock())
        return {}

    def set_margin_mode(self, *, mode: str) -> dict[str, Any]:
        """``POST /v5/account/set-margin-mode`` (see :meth:`.MarginRules.set_margin_mode`)."""
        return self.margin.set_margin_mode(
            mode,
            positions=[p.inst.symbol for p in self.positions.open_positions()],
            orders=[o.inst.symbol for o in self.book.open_orders()],
        )

    def switch_position_mode(self, *, mode: int) -> dict[str, Any]:
        """``POST /v5/position/switch-mode``."""
        return self.margin.switch_position_mode(mode)

    # ---------------------------------------------------------------- positions

    def position_rows(
        self, *, category: str, symbol: str | None, settle_coin: str | None
    ) -> list[dict[str, Any]]:
        """Rows of ``GET /v5/position/list`` before paging.

        With ``symbol`` one row even when flat; with only ``settleCoin`` rows with size > 0.
        https://bybit-exchange.github.io/docs/v5/position
        """
        if symbol:
            return [self.position_row(self.catalogue.derivative(category, symbol))]
        if category == Category.LINEAR and not settle_coin:
            raise ParamsError("params error: symbol or settleCoin is required for linear")
        if category not in (Category.LINEAR, Category.INVERSE):
            raise ParamsError(f"params error: category {category!r} not supported")
        return [
            self.position_row(pos.inst)
            for pos in sorted(self.positions.open_positions(), key=lambda p: p.inst.symbol)
            if pos.inst.category == category and settle_coin in (None, pos.inst.settle)
        ]

    def position_row(self, inst: Instrument) -> dict[str, Any]:
        """The ``/v5/position/list`` row of ``inst`` (flat or open)."""
        now = self.clock()
        trade_mode = self.margin.row_trade_mode(inst)
        pos = self.positions.get(inst.symbol)
        if pos is not None:
            return pos.to_row(trade_mode=trade_mode, mark=self.mark(inst), now_ms=now)
        return self.margin.settings_of(inst.symbol).flat_row(
            inst,
            trade_mode=trade_mode,
            side=self.margin.flat_side(inst),
            mark=self.mark(inst),
            now_ms=now,
        )

    def symbol_info(self, *, category: str, symbol: str | None) -> list[dict[str, Any]]:
        """``GET /v5/position/symbol-info`` rows."""
        if symbol:
            insts = [self.catalogue.derivative(category, symbol)]
        else:
            insts = [i for i in self.catalogue.in_category(category) if i.is_derivative]
        return self.margin.symbol_info_rows(insts)

    # ---------------------------------------------------------------- orders

    def create_order(self, *, category: str, symbol: str, **order: Any) -> dict[str, Any]:
        """``POST /v5/order/create`` (see :meth:`.MatchingEngine.create_order`)."""
        return self.engine.create_order(self.catalogue.derivative(category, symbol), **order)

    def cancel_order(
        self, *, category: str, symbol: str, order_id: str | None, link_id: str | None
    ) -> dict[str, Any]:
        """``POST /v5/order/cancel``."""
        inst = self.catalogue.derivative(category, symbol)
        return self.book.cancel_order(inst, order_id=order_id, link_id=link_id)

    def symbol_state(self, symbol: str) -> dict[str, Any]:
        """Margin, position and order state of a derivative ``symbol`` for tests.

        :raise KeyError: for a symbol that is not a derivative of the catalogue
        """
        inst = self.catalogue.derivatives[symbol]
        pos = self.positions.get(symbol)
        return {
            "trade_mode": self.margin.effective_trade_mode(inst),
            "leverage": fmt(self.margin.leverage(symbol)),
            "position_size": fmt(pos.size) if pos else "0",
            "position_side": pos.side if pos else "",
            "position_leverage": fmt(pos.leverage) if pos else "",
            "open_orders": len(self.book.open_orders(symbol)),
        }

    def touched_symbols(self) -> list[str]:
        """Symbols whose settings were used or that hold a position, sorted."""
        return sorted(set(self.margin.settings) | set(self.positions.positions))

    # ---------------------------------------------------------------- account

    def account_info(self) -> dict[str, Any]:
        """``GET /v5/account/info`` (classic reports ``REGULAR_MARGIN``).

        https://bybit-exchange.github.io/docs/v5/account/account-info
        """
        return {
            "unifiedMarginStatus": int(UNIFIED_MARGIN_STATUS[self.account_type]),
            "marginMode": self.margin.reported_margin_mode(),
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
            "updatedTime": str(self.clock()),
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
        }

    def query_api(self, api_key: str, uid: int) -> dict[str, Any]:
        """``GET /v5/user/query-api`` for the key that signed the request.

        https://bybit-exchange.github.io/docs/v5/user/apikey-info
        """
        return api_key_info(api_key, uid, uta=QUERY_API_UTA[self.account_type])

    def wallet_balance(self, *, account_type: str, coin: str | None) -> dict[str, Any]:
        """``GET /v5/account/wallet-balance`` (see :meth:`.Wallet.balance_result`)."""
        return self.wallet.balance_result(
            account_type,
            coin,
            allowed=WALLET_ACCOUNT_TYPES[self.account_type],
            exposure_of=self.engine.exposure,
            usd_rate=self._usd_rate,
        )

    def coin_info(self, *, coin: str | None) -> dict[str, Any]:
        """``GET /v5/asset/coin/query-info``."""
        return wallet_views.coin_info(self.catalogue.coins(), coin)

    def _usd_rate(self, coin: str) -> Decimal:
        if coin in ("USDT", "USDC", "USD"):
            return Decimal(1)
        inst = self.catalogue.get(Category.LINEAR, f"{coin}USDT")
        return self.mark(inst) if inst is not None else Decimal(0)


def api_key_info(api_key: str, uid: int, *, uta: int) -> dict[str, Any]:
    """The ``result`` of ``/v5/user/query-api`` for a read-write master key."""
    return {
        "id": "1",
        "note": "bybit simulator",
        "apiKey": api_key,
        "readOnly": 0,
        "secret": "",
        "permissions": {
            "ContractTrade": ["Order", "Position"],
            "Spot": ["SpotTrade"],
            "Wallet": ["AccountTransfer", "SubMemberTransfer"],
            "Options": ["OptionsTrade"],
            "Derivatives": ["DerivativesTrade"],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": [],
            "NFT": [],
            "Affiliate": [],
            "Earn": [],
        },
        "ips": ["*"],
        "type": 1,
        "deadlineDay": 66,
        "expiredAt": "",
        "createdAt": "2024-01-01T00:00:00Z",
        "unified": 0,
        "uta": uta,
        "userID": uid,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }
