"""The margin service: bring pairs to their target margin mode and leverage and remember what
was confirmed. No freqtrade import: the mixin, the CLI and the benchmarks share it."""

from freqtrade_bybit_margin.service.calls import RetryPolicy
from freqtrade_bybit_margin.service.margin_service import (
    Maintenance,
    MarginService,
    Mismatch,
    Progress,
)
from freqtrade_bybit_margin.service.planning import (
    AccountModePlan,
    AccountStatus,
    Action,
    PairPlan,
    Plan,
)
from freqtrade_bybit_margin.service.reader import PairState


__all__ = [
    "AccountModePlan",
    "AccountStatus",
    "Action",
    "Maintenance",
    "MarginService",
    "Mismatch",
    "PairPlan",
    "PairState",
    "Plan",
    "Progress",
    "RetryPolicy",
]
