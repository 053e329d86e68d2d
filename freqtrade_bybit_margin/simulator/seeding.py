"""
:class:`SeedingControls`: the handles that put a simulator into a state to test against
(mixed into :class:`~.core.BybitSimulator`): symbol settings, positions in every category,
resting orders, position modes, spot-margin loans, API keys with rights, and whole seed
documents (:mod:`.seed`; IP bans: ``FaultControls.ban_ip``; a lowered maximum leverage and a
market's status: ``MarketControls``).

Seeding skips Bybit's request rules (no rate limit, no "not modified"), but refuses states
Bybit cannot be in (hedge mode on an inverse contract, an order at the wrong ``positionIdx``)
with a ``ValueError`` naming the value and what is allowed.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from freqtrade_bybit_margin.constants import AccountMarginMode
from freqtrade_bybit_margin.simulator import seed as seed_doc
from freqtrade_bybit_margin.simulator.auth import ApiKeys
from freqtrade_bybit_margin.simulator.backend import AccountBackend
from freqtrade_bybit_margin.simulator.exceptions import SimulatorApiError
from freqtrade_bybit_margin.simulator.ipban import IpGuard
from freqtrade_bybit_margin.simulator.keys import KeyProfile
from freqtrade_bybit_margin.simulator.knobs import SimKnobs
from freqtrade_bybit_margin.simulator.options import OptionPosition, parse_option_symbol
from freqtrade_bybit_margin.simulator.positionmode import (
    HEDGE,
    IDX_OF_SIDE,
    ONE_WAY,
    check_position_idx,
)


MARGIN_MODES = tuple(m.value for m in AccountMarginMode)


def check_margin_mode(mode: str) -> None:
    """:raise ValueError: for a mode Bybit does not have"""
    if mode not in MARGIN_MODES:
        raise ValueError(f"account margin mode {mode!r} is not one of {', '.join(MARGIN_MODES)}")


def positive(value: str, name: str) -> Decimal:
    """``value`` as a positive decimal.

    :raise ValueError: naming the argument
    """
    number = Decimal(str(value))
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} {value!r} is not allowed; allowed: a number > 0")
    return number


def seed_position_idx(
    backend: AccountBackend, symbol: str, side: str, position_idx: int | None
) -> int:
    """The ``positionIdx`` of a seeded position / order (default: from the mode and side).

    :raise ValueError: a side or index the symbol's position mode does not take
    """
    if side not in IDX_OF_SIDE:
        raise ValueError(f"side {side!r} is not allowed; allowed: Buy, Sell")
    inst = backend.catalogue.derivatives[symbol]
    hedge = backend.modes.is_hedge(inst)
    idx = position_idx if position_idx is not None else (IDX_OF_SIDE[side] if hedge else 0)
    try:
        check_position_idx(inst, idx, hedge)
    except SimulatorApiError:
        allowed = "1 (Buy side), 2 (Sell side)" if hedge else "0 (one-way)"
        raise ValueError(
            f"position_idx {idx} for {symbol} is not allowed; allowed: {allowed}"
        ) from None
    return idx


class SeedingControls:
    """Seeding handles of a simulator (see the module docstring)."""

    _lock: threading.RLock
    backend: AccountBackend
    clock: Callable[[], int]
    keys: ApiKeys
    ipguard: IpGuard
    knobs: SimKnobs
    uid: int

    def add_api_key(
        self,
        api_key: str,
        api_secret: str,
        *,
        uid: int | None = None,
        read_only: bool = False,
        permissions: Mapping[str, Sequence[str]] | None = None,
        ips: Sequence[str] = ("*",),
        expires_at: str | None = None,
        deadline_day: int | None = None,
    ) -> None:
        """Accept another API key, by default on this account's UID (one shared budget).

        :param api_key: the key
        :param api_secret: its secret
        :param uid: another UID gives the key its own rate-limit budget
        :param read_only: every private POST answers 10005
        :param permissions: Bybit's ``permissions`` object (default: read-write trading);
            without ContractTrade "Position" leverage / margin / position-mode changes answer
            10005, without "Order" order entry and cancels do
        :param ips: bound IPs (``["*"]``: none); other client IPs get 10010
        :param expires_at: ISO-8601 expiry (then 33004); default: 90 days for unbound keys
        :param deadline_day: ``deadlineDay`` to report instead of the days left
        :raise ValueError: for an empty key or secret, or a malformed profile field
        """
        profile = KeyProfile(read_only, permissions, tuple(ips), expires_at, deadline_day)
        with self._lock:
            owner = self.uid if uid is None else uid
            self.keys.add(api_key, api_secret, owner, profile, self.clock())

    def set_symbol(
        self,
        symbol: str,
        *,
        trade_mode: int | None = None,
        leverage: str | None = None,
        sell_leverage: str | None = None,
    ) -> None:
        """Set a symbol's per-symbol margin mode (0/1) and/or leverage (both sides unless
        ``sell_leverage`` gives the hedge Sell side its own).

        :raise KeyError: for a symbol that is not a derivative of the catalogue
        """
        with self._lock:
            if symbol not in self.backend.catalogue.derivatives:
                raise KeyError(symbol)
            settings = self.backend.margin.settings_of(symbol)
            if trade_mode is not None:
                settings.trade_mode = int(trade_mode)
            if leverage is not None:
                settings.leverage = settings.sell_leverage = positive(leverage, "leverage")
            if sell_leverage is not None:
                settings.sell_leverage = positive(sell_leverage, "sell_leverage")

    def set_account_margin_mode(self, mode: str) -> None:
        """Set the account-wide margin mode directly (no rule checks)."""
        check_margin_mode(mode)
        with self._lock:
            self.backend.margin.account_margin_mode = mode
            self.backend.margin_mode_updated_ms = self.clock()

    def set_balance(self, coin: str, amount: str) -> None:
        """Set the wallet balance of ``coin``."""
        with self._lock:
            self.backend.wallet.balances[coin] = Decimal(str(amount))

    def open_position(
        self,
        symbol: str,
        *,
        side: str = "Buy",
        size: str = "1",
        price: str | None = None,
        leverage: str | None = None,
        position_idx: int | None = None,
    ) -> None:
        """Start with an open position (no fee, wallet unchanged), any derivative: USDT or
        USDC linear, inverse. In hedge mode the side picks ``positionIdx`` (Buy 1, Sell 2)
        and ``leverage`` sets that side's.

        :raise ValueError: a side or ``position_idx`` the symbol's mode does not take
        """
        with self._lock:
            inst = self.backend.catalogue.derivatives[symbol]
            idx = seed_position_idx(self.backend, symbol, side, position_idx)
            if leverage is not None:
                settings = self.backend.margin.settings_of(symbol)
                if idx != 2:
                    settings.leverage = positive(leverage, "leverage")
                if idx != 1:
                    settings.sell_leverage = positive(leverage, "leverage")
            entry = Decimal(price) if price is not None else self.backend.mark(inst)
            lev = self.backend.margin.leverage_of(symbol, idx)
            self.backend.positions.apply(
                inst, side, positive(size, "size"), entry, leverage=lev, now=self.clock(), idx=idx
            )

    def place_resting_order(
        self, symbol: str, *, side: str, qty: str, price: str, position_idx: int | None = None
    ) -> str:
        """Start with an open limit order that never fills; returns its ``orderId``.

        :raise ValueError: a side / ``position_idx`` the mode refuses, or an order Bybit
            would refuse (filters, margin), naming its retCode
        """
        with self._lock:
            inst = self.backend.catalogue.derivatives[symbol]
            idx = seed_position_idx(self.backend, symbol, side, position_idx)
            try:
                result = self.backend.engine.create_order(
                    inst,
                    side=side,
                    order_type="Limit",
                    qty=positive(qty, "qty"),
                    price=positive(price, "price"),
                    time_in_force="GTC",
                    reduce_only=False,
                    order_link_id="",
                    never_fill=True,
                    position_idx=idx,
                )
            except SimulatorApiError as exc:
                raise ValueError(f"order on {symbol} refused: {exc}") from None
            return str(result["orderId"])

    def set_position_mode(
        self, symbol: str | None = None, *, hedge: bool, coin: str | None = None
    ) -> None:
        """Set a symbol's position mode, or a settle coin's (idle symbols follow; symbol
        settings win: "symbol > coin > system default").

        :raise ValueError: neither or both of symbol / coin, hedge where Bybit has none, a
            symbol with a position or open orders
        """
        if (symbol is None) == (coin is None):
            raise ValueError("give exactly one of symbol or coin")
        with self._lock:
            b = self.backend
            if symbol is not None:
                inst = b.catalogue.derivatives[symbol]
                if b.engine.busy(symbol) and b.modes.is_hedge(inst) != hedge:
                    raise ValueError(
                        f"{symbol} holds a position or open orders; set its position mode first"
                    )
                b.modes.seed_symbol(inst, hedge)
                return
            members = [i for i in b.catalogue.derivatives.values() if i.settle == coin]
            try:
                b.modes.switch_coin(
                    str(coin), HEDGE if hedge else ONE_WAY, members, busy=b.engine.busy
                )
            except SimulatorApiError as exc:
                raise ValueError(f"coin {coin!r} position mode refused: {exc}") from None

    def open_option_position(
        self,
        symbol: str,
        *,
        side: str = "Buy",
        size: str = "1",
        price: str = "100",
        mark_price: str | None = None,
    ) -> None:
        """Seed an option position (``position/list?category=option``; blocks margin mode
        switches as any position does).

        :raise ValueError: for a malformed option symbol or side
        """
        parse_option_symbol(symbol)
        if side not in IDX_OF_SIDE:
            raise ValueError(f"side {side!r} is not allowed; allowed: Buy, Sell")
        with self._lock:
            avg = positive(price, "price")
            mark = positive(mark_price, "mark_price") if mark_price is not None else avg
            self.backend.options.positions[symbol] = OptionPosition(
                symbol,
                side,
                positive(size, "size"),
                avg,
                mark,
                self.clock(),
                self.backend.positions.seq.next(),
            )

    def set_borrow(self, coin: str, amount: str) -> None:
        """Seed a spot-margin loan (wallet-balance ``coin[].borrowAmount``; blocks a switch to
        ISOLATED_MARGIN). ``"0"`` repays it."""
        value = Decimal(str(amount))
        if not value.is_finite() or value < 0:
            raise ValueError(f"amount {amount!r} is not allowed; allowed: a number >= 0")
        with self._lock:
            self.backend.wallet.set_borrowed(coin, value)

    def set_collateral_at_limit(self, coins: Sequence[str]) -> None:
        """Coins whose collateral reached the platform limit: a margin mode switch answers
        3200641 (docs/v5/error.mdx). An empty list clears it."""
        with self._lock:
            self.backend.margin.collateral_at_limit = set(coins)

    def seed(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a seed document (see :mod:`.seed`; also ``POST /_sim/seed``).

        :return: ``{"applied": [method names], "orders": [orderIds]}``
        :raise ValueError: naming the field, its value and what is allowed
        """
        with self._lock:
            calls = seed_doc.plan(spec, self.backend.catalogue, MARGIN_MODES)
            orders: list[str] = []
            for name, kwargs in calls:
                try:
                    result = getattr(self, name)(**kwargs)
                except KeyError as exc:
                    raise ValueError(f"seed: {name} failed: unknown {exc}") from None
                if name == "place_resting_order":
                    orders.append(result)
            return {"applied": [name for name, _ in calls], "orders": orders}
