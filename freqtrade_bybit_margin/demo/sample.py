"""
The sample config and strategy, shipped as package data so that ``demo`` runs after a plain
wheel install, from any directory.

``freqtrade_bybit_margin/demo/data/`` is the copy the package reads; the repository's
``user_data/`` is the copy users open. The two are identical (a test compares them byte for byte).
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


__all__ = ["CONFIG", "SAMPLE_DATA", "STRATEGY_FILES", "install_sample", "sample_config"]

#: The packaged sample: ``config.json`` and ``strategies/``.
SAMPLE_DATA: Traversable = files("freqtrade_bybit_margin.demo") / "data"
CONFIG = "config.json"
STRATEGIES = "strategies"
#: Files of the sample, relative to :data:`SAMPLE_DATA` (and to the repository's ``user_data/``).
STRATEGY_FILES = (f"{STRATEGIES}/BybitMarginSample.py",)


def sample_config() -> dict[str, Any]:
    """
    The packaged sample config.

    :return: ``config.json`` as a dict
    """
    config: dict[str, Any] = json.loads((SAMPLE_DATA / CONFIG).read_text(encoding="utf-8"))
    return config


def install_sample(destination: Path) -> Path:
    """
    Write the packaged sample as a freqtrade user-data folder (``config.json``, ``strategies/``).

    freqtrade reads configs and strategies from the file system, which package data need not
    be on (a zipped install), so the demo runs from a copy.
    :param destination: folder to write into (created if missing)
    :return: ``destination``
    """
    for name in (CONFIG, *STRATEGY_FILES):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        source = SAMPLE_DATA.joinpath(*name.split("/"))
        target.write_bytes(source.read_bytes())
    return destination
