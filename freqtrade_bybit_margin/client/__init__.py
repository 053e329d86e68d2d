"""The client: one Bybit V5 request on a ccxt instance and what its answer means.

``answers`` (only a parsed envelope counts), ``classify`` (a ccxt exception -> a typed
:class:`~freqtrade_bybit_margin.model.Failure`), ``rest`` (signed requests without ccxt's
throttle, rate-limit headers, ccxt's signing shim), ``account`` (THE account typing),
``ladder`` (THE body builders and THE write ladder) and ``ccxt_ext`` (``switch_margin_mode``).
Imports ccxt, never freqtrade.
"""
