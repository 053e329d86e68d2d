"""
Bybit-shaped errors raised by the simulator's models and wire layer.

Each class carries its ``retCode``/``retMsg`` (and HTTP status) as class attributes, in the
style of moto's ``ServiceException``; :mod:`.responses` renders any of them into Bybit's
envelope in one place. Codes: https://bybit-exchange.github.io/docs/v5/error
"""

import logging
from typing import Any, ClassVar

from freqtrade_bybit_margin.constants import RetCode


logger = logging.getLogger(__name__)


class SimulatorApiError(Exception):
    """Base of every Bybit-shaped error; rendered as ``{retCode, retMsg, result, ...}``."""

    ret_code: ClassVar[int] = int(RetCode.PARAMS_ERROR)
    ret_msg: ClassVar[str] = "params error"
    http_status: ClassVar[int] = 200

    def __init__(
        self,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        ret_code: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.ret_msg
        self.result: dict[str, Any] = result if result is not None else {}
        self.code = ret_code if ret_code is not None else self.ret_code
        super().__init__(f"{self.code} {self.message}")


class ParamsError(SimulatorApiError):
    """10001: request parameter error (missing, malformed or out of range)."""


class UnknownPathError(SimulatorApiError):
    """Path not served by the simulator (HTTP 404, as Bybit for a wrong path)."""

    http_status = 404
    ret_msg = "simulator: unknown path"


class MethodNotAllowedError(SimulatorApiError):
    """Known path, wrong HTTP method (Bybit: HTTP 400 "bad method")."""

    http_status = 400
    ret_msg = "simulator: method not allowed"


class TimestampError(SimulatorApiError):
    """10002: ``X-BAPI-TIMESTAMP`` outside the recv window."""

    ret_code = int(RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW)
    ret_msg = "invalid request, please check your server timestamp or recv_window param"


class InvalidApiKeyError(SimulatorApiError):
    """10003: unknown or missing API key."""

    ret_code = int(RetCode.INVALID_API_KEY)
    ret_msg = "API key is invalid."


class SignatureError(SimulatorApiError):
    """10004: ``X-BAPI-SIGN`` does not match."""

    ret_code = int(RetCode.SIGNATURE_ERROR)
    ret_msg = "error sign!"


class TooManyVisitsError(SimulatorApiError):
    """10006: per-UID rolling-window rate limit hit."""

    ret_code = int(RetCode.TOO_MANY_VISITS)
    ret_msg = "Too many visits!"


class InternalServerError(SimulatorApiError):
    """10016: unexpected failure inside the simulator (HTTP 500)."""

    ret_code = int(RetCode.SERVER_TIMEOUT)
    ret_msg = "simulator internal error"
    http_status = 500


class UnifiedAccountOnlyError(SimulatorApiError):
    """10028: endpoint served to unified-account users only."""

    ret_code = int(RetCode.UNIFIED_ACCOUNT_ONLY)
    ret_msg = "The API can only be accessed by unified account users."


class UnifiedAccountForbiddenError(SimulatorApiError):
    """100028: endpoint not served to unified-account users (seen on switch-isolated)."""

    ret_code = int(RetCode.UNIFIED_ACCOUNT_FORBIDDEN)
    ret_msg = "unified account is forbidden"


class OrderNotFoundError(SimulatorApiError):
    """110001: order does not exist (or is no longer cancellable)."""

    ret_code = int(RetCode.ORDER_NOT_FOUND)
    ret_msg = "Order does not exist."


class InsufficientBalanceError(SimulatorApiError):
    """110007: available balance too low for the order."""

    ret_code = int(RetCode.INSUFFICIENT_BALANCE)
    ret_msg = "ab not enough for new order"


class ReduceOnlyError(SimulatorApiError):
    """110017: reduce-only order without a position it could reduce."""

    ret_code = int(RetCode.REDUCE_ONLY_NOT_SATISFIED)
    ret_msg = "Reduce-only rule not satisfied"


class PositionModeNotModifiedError(SimulatorApiError):
    """110025: position mode not modified."""

    ret_code = int(RetCode.POSITION_MODE_NOT_MODIFIED)
    ret_msg = "Position mode is not modified"


class MarginModeNotModifiedError(SimulatorApiError):
    """110026: cross/isolated margin mode not modified."""

    ret_code = int(RetCode.MARGIN_MODE_NOT_MODIFIED)
    ret_msg = "Cross/isolated margin mode is not modified"


class LeverageNotModifiedError(SimulatorApiError):
    """110043: set leverage not modified."""

    ret_code = int(RetCode.LEVERAGE_NOT_MODIFIED)
    ret_msg = "Set leverage not modified"


class SetMarginModeFailedError(SimulatorApiError):
    """3400045: account margin mode switch refused; ``result.reasons`` says why."""

    ret_code = int(RetCode.SET_MARGIN_MODE_FAILED)
    ret_msg = "Set margin mode failed"


#: Default ``retMsg`` per ``retCode`` (used for injected faults that give no message).
DEFAULT_MESSAGES: dict[int, str] = {
    cls.ret_code: cls.ret_msg
    for cls in (
        TimestampError,
        InvalidApiKeyError,
        SignatureError,
        TooManyVisitsError,
        InternalServerError,
        UnifiedAccountOnlyError,
        UnifiedAccountForbiddenError,
        OrderNotFoundError,
        InsufficientBalanceError,
        ReduceOnlyError,
        PositionModeNotModifiedError,
        MarginModeNotModifiedError,
        LeverageNotModifiedError,
        SetMarginModeFailedError,
    )
}
DEFAULT_MESSAGES[int(RetCode.PARAMS_ERROR)] = ParamsError.ret_msg
DEFAULT_MESSAGES[int(RetCode.LEVERAGE_RISK_LIMIT)] = "Cannot set leverage due to risk limit level."
