"""The margin service: bring pairs to their target margin mode and leverage and remember what
was confirmed. No freqtrade import: the mixin, the CLI and the benchmarks share it."""

from freqtrade_bybit_margin.service.margin_service import MarginService, RetryPolicy


__all__ = ["MarginService", "RetryPolicy"]
