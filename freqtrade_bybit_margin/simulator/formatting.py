"""
Number rendering shared by every row the simulator serves: Bybit sends decimals as plain
strings (no exponent, no trailing zeros) and prices with the tick's number of decimals.
"""

from decimal import ROUND_DOWN, Decimal


#: quantum of balances, margins and values in rows (Bybit shows up to 8 decimals)
Q8 = Decimal("0.00000001")


def quantize(value: Decimal, step: Decimal, rounding: str = ROUND_DOWN) -> Decimal:
    """Round ``value`` to a multiple of ``step``.

    :param value: the number to round
    :param step: the grid (tick size, qty step)
    :param rounding: a :mod:`decimal` rounding mode
    :return: the rounded value
    """
    return (value / step).to_integral_value(rounding=rounding) * step


def fmt(value: Decimal) -> str:
    """Render a decimal as Bybit does: plain notation, no exponent, no trailing zeros.

    :param value: the number
    :return: its text, ``"0"`` for a negative zero
    """
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def fmt_price(value: Decimal, tick: Decimal) -> str:
    """Render a price with the tick's number of decimals.

    :param value: the price
    :param tick: the instrument's tick size
    :return: the price text
    """
    return str(value.quantize(tick))


def fmt8(value: Decimal) -> str:
    """Render a balance, margin or value at eight decimals at most.

    :param value: the amount
    :return: its text
    """
    return fmt(value.quantize(Q8))
