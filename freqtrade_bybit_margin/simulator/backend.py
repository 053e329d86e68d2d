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
from freqtrade_bybit_margin.simulator.auth import ApiKeys
from freqtrade_bybit_margin.simulator.entities import Sequence
from freqtrade_bybit_margin.simulator.exceptions import DEFAULT_MESSAGES, SimulatorApiError
from freqtrade_bybit_margin.simulator.instruments import Catalogue, Instrument
from freqtrade_bybit_margin.simulator.keys import api_key_info
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.margin import Blockers, MarginRules
from freqtrade_bybit_margin.simulator.market_data import PriceModel
from freqtrade_bybit_margin.simulator.matching import MatchingEngine, OrderBook
from freqtrade_bybit_margin.simulator.options import OptionBook
from freqtrade_bybit_margin.simulator.position_views import PositionViews
from freqtrade_bybit_margin.simulator.positionmode import PositionModes, check_position_idx
from freqtrade_bybit_margin.simulator.positions import PositionBook
from freqtrade_bybit_margin.simulator.risklimits import LeverageCaps
from freqtrade_bybit_margin.simulator.rules import (
    QUERY_API_UTA,
    UNIFIED_MARGIN_STATUS,
    WALLET_ACCOUNT_TYPES,
)
from freqtrade_bybit_margin.simulator.wallet import Wallet


#: UID of the simulated account
SIM_UID = 100_000_001


class AccountBackend(PositionViews):
    """State and rules of one simulated Bybit account (position read-back: the
    :class:`~.position_views.PositionViews` mixin).

    :param account_type: the account's generation
    :param account_margin_mode: starting account-wide margin mode
    :param catalogue: the instruments served
    :param prices: the price path
    :param knobs: behaviour switches
    :param clock: epoch ms
    :param keys: the account's API keys (``query-api``)
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
        keys: ApiKeys | None = None,
    ) -> None:
        self.account_type = account_type
        self.catalogue = catalogue
        self.prices = prices
        self.knobs = knobs
        self.clock = clock
        self.keys = keys or ApiKeys()
        seq = Sequence()
        self.margin = MarginRules(
            account_type=account_type, account_margin_mode=account_margin_mode, knobs=knobs
        )
        self.margin_mode_updated_ms = clock()
        self.modes = PositionModes()
        self.options = OptionBook()
        self.wallet = Wallet(knobs.starting_balance)
        self.positions = PositionBook(self.wallet, seq)
        self.book = OrderBook(clock=clock, knobs=knobs)
        self.engine = MatchingEngine(
            prices=prices,
            knobs=knobs,
            clock=clock,
            wallet=self.wallet,
            positions=self.positions,
            leverage_of=self.margin.leverage_of,
            seq=seq,
            book=self.book,
        )
        self.caps = LeverageCaps(catalogue, self.margin, self.positions, self.book)

    def mark(self, inst: Instrument) -> Decimal:
        """Current mark price of ``inst``."""
        return self.prices.price(inst, self.clock())

    def tick(self) -> None:
        """Let time act before a request: announced leverage cuts fall due, resting orders the
        price crossed fill."""
        self.caps.tick(self.clock())
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
        """``POST /v5/position/set-leverage``; open positions take the new leverage (hedge:
        the Buy side ``buyLeverage``, the Sell side ``sellLeverage``)."""
        inst = self.catalogue.derivative(category, symbol)
        buy, sell = self.margin.set_leverage(
            inst,
            buy_leverage=buy_leverage,
            sell_leverage=sell_leverage,
            hedge=self.modes.is_hedge(inst),
        )
        self.positions.set_leverage(symbol, buy, sell, self.clock())
        return {}

    def set_margin_mode(self, *, mode: str) -> dict[str, Any]:
        """``POST /v5/account/set-margin-mode`` (see :meth:`.MarginRules.set_margin_mode`)."""
        before = self.margin.account_margin_mode
        result = self.margin.set_margin_mode(mode, self.blockers())
        if self.margin.account_margin_mode != before:
            self.margin_mode_updated_ms = self.clock()
        return result

    def blockers(self) -> Blockers:
        """Positions (every category), open orders and spot-margin liabilities."""
        positions = [p.inst.symbol for p in self.positions.open_positions()]
        return Blockers(
            positions=positions + self.options.symbols(),
            orders=[o.inst.symbol for o in self.book.open_orders()],
            liabilities=dict(self.wallet.borrowed),
        )

    def switch_position_mode(
        self, *, category: str, symbol: str | None, coin: str | None, mode: int
    ) -> dict[str, Any]:
        """``POST /v5/position/switch-mode`` by symbol (priority) or by settle coin.

        https://bybit-exchange.github.io/docs/v5/position/position-mode
        """
        refuse = None
        if self.margin.portfolio:
            code = self.knobs.pm_hedge_ret_code
            refuse = SimulatorApiError(
                DEFAULT_MESSAGES.get(code, "Pm mode cannot support"), code=code
            )
        if symbol:
            inst = self.catalogue.derivative(category, symbol)
            self.modes.switch_symbol(
                inst,
                mode,
                has_position=self.positions.size(symbol) > 0,
                has_orders=bool(self.book.open_orders(symbol)),
                refuse_hedge=refuse,
            )
            return {}
        members = [i for i in self.catalogue.in_category(category) if i.is_derivative]
        self.modes.switch_coin(
            str(coin),
            mode,
            [i for i in members if i.settle == coin],
            busy=self.engine.busy,
            unchanged_ret_code=self.knobs.coin_mode_unchanged_ret_code,
            refuse_hedge=refuse,
        )
        return {}

    # ---------------------------------------------------------------- risk limits

    def set_max_leverage(
        self, symbol: str, max_leverage: Decimal, *, force: bool, grace_ms: int | None
    ) -> None:
        """Bybit lowers (or raises) a symbol's maximum leverage itself: instruments-info,
        the risk-limit tiers and set-leverage follow at once (see
        :meth:`.LeverageCaps.set_max`)."""
        self.caps.set_max(symbol, max_leverage, force=force, grace_ms=grace_ms, now=self.clock())

    # ---------------------------------------------------------------- orders

    def create_order(
        self, *, category: str, symbol: str, position_idx: int = 0, **order: Any
    ) -> dict[str, Any]:
        """``POST /v5/order/create``: ``positionIdx`` must match the symbol's position mode
        (one-way 0, hedge 1 / 2), then :meth:`.MatchingEngine.create_order`."""
        inst = self.catalogue.derivative(category, symbol)
        check_position_idx(inst, position_idx, self.modes.is_hedge(inst))
        return self.engine.create_order(inst, position_idx=position_idx, **order)

    def cancel_order(
        self, *, category: str, symbol: str, order_id: str | None, link_id: str | None
    ) -> dict[str, Any]:
        """``POST /v5/order/cancel``."""
        inst = self.catalogue.derivative(category, symbol)
        return self.book.cancel_order(inst, order_id=order_id, link_id=link_id)

    def touched_symbols(self) -> list[str]:
        """Symbols whose settings were used or that hold a position, sorted."""
        return sorted(set(self.margin.settings) | self.positions.symbols())

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
            "updatedTime": str(self.margin_mode_updated_ms),
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
        }

    def query_api(self, api_key: str) -> dict[str, Any]:
        """``GET /v5/user/query-api`` for the key that signed the request (see :mod:`.keys`).

        https://bybit-exchange.github.io/docs/v5/user/apikey-info
        """
        return api_key_info(
            api_key,
            self.keys.record(api_key),
            uta=QUERY_API_UTA[self.account_type],
            now_ms=self.clock(),
            lifetime_days=self.knobs.unbound_key_lifetime_days,
        )

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
