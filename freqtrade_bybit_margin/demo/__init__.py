"""The end-to-end demo: the real freqtrade bot, live, against the local Bybit simulator.

``run`` (the command), ``bot_runner`` (the freqtrade subprocess and whose request was whose),
``timeline`` (per pair, from the journal), ``verdict`` (is the run OK), ``report`` (what is
printed), ``overlay`` (configs that point freqtrade at the simulator) and ``sample`` (the
packaged sample config and strategy in ``data/``).
"""
