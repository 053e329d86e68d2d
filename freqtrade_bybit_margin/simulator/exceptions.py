"""
Bybit-shaped errors raised by the simulator's models and wire layer.

Each class carries its ``code`` (retCode), ``message`` (retMsg) and HTTP status as class
attributes that an instance may override, in the style of moto's ``ServiceException`` (one
name on class and instance); :mod:`.responses` renders any of them into Bybit's envelope in
one place. Codes: https://bybit-exchange.github.io/docs/v5/error
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from freqtrade_bybit_margin.constants import RetCode


class SimulatorApiError(Exception):
    """Base of every Bybit-shaped error; rendered as ``{retCode, retMsg, result, ...}``.

    :param message: ``retMsg`` (default: the class's)
    :param result: the ``result`` object of the reply (default ``{}``)
    :param code: ``retCode`` (default: the class's)
    """

    code: int = int(RetCode.PARAMS_ERROR)
    message: str = "params error"
    http_status: ClassVar[int] = 200

    def __init__(
        self,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        code: int | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.result: dict[str, Any] = result if result is not None else {}
        super().__init__(f"{self.code} {self.message}")


class ParamsError(SimulatorApiError):
    """10001: request parameter error (missing, malformed or out of range)."""


class UnknownPathError(SimulatorApiError):
    """Path not served by the simulator (HTTP 404, as Bybit for a wrong path)."""

    http_status = 404
    message = "simulator: unknown path"


class MethodNotAllowedError(SimulatorApiError):
    """Known path, wrong HTTP method (Bybit: HTTP 400 "bad method")."""

    http_status = 400
    message = "simulator: method not allowed"


class TimestampError(SimulatorApiError):
    """10002: ``X-BAPI-TIMESTAMP`` outside the recv window."""

    code = int(RetCode.TIMESTAMP_OUTSIDE_RECV_WINDOW)
    message = "invalid request, please check your server timestamp or recv_window param"


class InvalidApiKeyError(SimulatorApiError):
    """10003: unknown or missing API key."""

    code = int(RetCode.INVALID_API_KEY)
    message = "API key is invalid."


class SignatureError(SimulatorApiError):
    """10004: ``X-BAPI-SIGN`` does not match."""

    code = int(RetCode.SIGNATURE_ERROR)
    message = "error sign!"


class TooManyVisitsError(SimulatorApiError):
    """10006: per-UID rolling-window rate limit hit."""

    code = int(RetCode.TOO_MANY_VISITS)
    message = "Too many visits!"


class InternalServerError(SimulatorApiError):
    """10016: unexpected failure inside the simulator (HTTP 500)."""

    code = int(RetCode.SERVER_TIMEOUT)
    message = "simulator internal error"
    http_status = 500


class UnifiedAccountOnlyError(SimulatorApiError):
    """10028: endpoint served to unified-account users only."""

    code = int(RetCode.UNIFIED_ACCOUNT_ONLY)
    message = "The API can only be accessed by unified account users."


class UnifiedAccountForbiddenError(SimulatorApiError):
    """100028: endpoint not served to unified-account users (seen on switch-isolated)."""

    code = int(RetCode.UNIFIED_ACCOUNT_FORBIDDEN)
    message = "unified account is forbidden"


class OrderNotFoundError(SimulatorApiError):
    """110001: order does not exist (or is no longer cancellable)."""

    code = int(RetCode.ORDER_NOT_FOUND)
    message = "Order does not exist."


class InsufficientBalanceError(SimulatorApiError):
    """110007: available balance too low for the order."""

    code = int(RetCode.INSUFFICIENT_BALANCE)
    message = "ab not enough for new order"


class ReduceOnlyError(SimulatorApiError):
    """110017: reduce-only order without a position it could reduce."""

    code = int(RetCode.REDUCE_ONLY_NOT_SATISFIED)
    message = "Reduce-only rule not satisfied"


class PositionModeNotModifiedError(SimulatorApiError):
    """110025: position mode not modified."""

    code = int(RetCode.POSITION_MODE_NOT_MODIFIED)
    message = "Position mode is not modified"


class MarginModeNotModifiedError(SimulatorApiError):
    """110026: cross/isolated margin mode not modified."""

    code = int(RetCode.MARGIN_MODE_NOT_MODIFIED)
    message = "Cross/isolated margin mode is not modified"


class LeverageNotModifiedError(SimulatorApiError):
    """110043: set leverage not modified."""

    code = int(RetCode.LEVERAGE_NOT_MODIFIED)
    message = "Set leverage not modified"


class SetMarginModeFailedError(SimulatorApiError):
    """110073: account margin mode switch refused; ``result.reasons`` says why.

    Bybit retired 3400045 for 110073 on 2023-01-19 (docs/pilot-feature/pilot.mdx, "Adjust
    error code": ``~~3400045~~ 110073 Set margin mode failed``; docs/v5/error.mdx lists 110073
    and no 3400045). Only the stale example on the set-margin-mode page still shows 3400045.
    """

    code = int(RetCode.SET_MARGIN_MODE_FAILED)
    message = "Set margin mode failed"


class LeverageRiskLimitError(SimulatorApiError):
    """110013: leverage above the symbol's (live) maximum.

    Field logs show ``cannot set leverage [3000] gt maxLeverage [2500] by risk limit`` (values
    x100), also when the instrument maximum is exceeded (reference bybit-v5-margin.md,
    "Corrections and additions (2026-12-02)"); use :meth:`above_max`.
    """

    code = int(RetCode.LEVERAGE_RISK_LIMIT)
    message = "Cannot set leverage due to risk limit level."

    @classmethod
    def above_max(cls, leverage: Any, max_leverage: Any) -> "LeverageRiskLimitError":
        """The error naming both values x100 as integers, in Bybit's wording."""
        asked, allowed = int(leverage * 100), int(max_leverage * 100)
        return cls(f"cannot set leverage [{asked}] gt maxLeverage [{allowed}] by risk limit")


class PermissionDeniedError(SimulatorApiError):
    """10005: the API key lacks the permission (or is read-only)."""

    code = int(RetCode.PERMISSION_DENIED)
    message = "Permission denied, please check your API key permissions."


class UnmatchedIpError(SimulatorApiError):
    """10010: the request's IP is not among the key's bound IPs."""

    code = int(RetCode.UNMATCHED_IP)
    message = "Unmatched IP, please check your API key's bound IP addresses."


class ApiKeyExpiredError(SimulatorApiError):
    """33004 (``SimKnobs.expired_key_ret_code``): the API key has expired."""

    code = int(RetCode.API_KEY_EXPIRED)
    message = "Your api key has expired"


class PositionExistsError(SimulatorApiError):
    """110024: position mode cannot be switched with an open position."""

    code = int(RetCode.POSITION_EXISTS)
    message = "You have an existing position, so the position mode cannot be switched."


class OpenOrdersExistError(SimulatorApiError):
    """110028: position mode cannot be switched with open orders."""

    code = int(RetCode.OPEN_ORDERS_EXIST)
    message = "You have existing open orders, so the position mode cannot be switched."


class HedgeNotSupportedError(SimulatorApiError):
    """110029: hedge mode is not available for the symbol (or coin)."""

    code = int(RetCode.HEDGE_NOT_SUPPORTED)
    message = "Hedge mode is not supported for this symbol."


class PortfolioLeverageError(SimulatorApiError):
    """110038: leverage cannot be changed under portfolio margin."""

    code = int(RetCode.PORTFOLIO_LEVERAGE)
    message = "You are not allowed to change leverage due to portfolio margin mode."


class CategoryNotServedError(SimulatorApiError):
    """HTTP 404: the category does not match the account mode (docs/v5/error, HTTP codes)."""

    http_status = 404
    message = "category not served for this account type"


@dataclass
class HttpRefusal(Exception):
    """A non-JSON HTTP answer from in front of the API (401 without auth headers, 403 for an
    IP ban): no envelope, no ``retCode``. ``label`` goes to the journal's ``ret_msg``."""

    status: int
    body: str
    label: str
    content_type: str = "text/plain"

    def __post_init__(self) -> None:
        super().__init__(f"HTTP {self.status} {self.label}")


#: Default ``retMsg`` per ``retCode`` (used for injected faults that give no message).
DEFAULT_MESSAGES: dict[int, str] = {
    cls.code: cls.message
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
        PermissionDeniedError,
        UnmatchedIpError,
        ApiKeyExpiredError,
        PositionExistsError,
        OpenOrdersExistError,
        HedgeNotSupportedError,
        PortfolioLeverageError,
    )
}
DEFAULT_MESSAGES[int(RetCode.PARAMS_ERROR)] = ParamsError.message
DEFAULT_MESSAGES[int(RetCode.LEVERAGE_RISK_LIMIT)] = "Cannot set leverage due to risk limit level."
#: wordings of the V5 error table (https://bybit-exchange.github.io/docs/v5/error) for codes
#: only injected faults send
DEFAULT_MESSAGES[int(RetCode.SERVER_TIMEOUT)] = "Server error"
DEFAULT_MESSAGES[int(RetCode.REGION_RESTRICTED)] = (
    "Service Restricted: Access is currently unavailable for your region. "
    "Please contact our support team for further assistance"
)
DEFAULT_MESSAGES[int(RetCode.PRODUCT_REGION_RESTRICTED)] = "Product not available in your region"
DEFAULT_MESSAGES[int(RetCode.PM_NOT_SUPPORTED)] = "Pm mode cannot support"
