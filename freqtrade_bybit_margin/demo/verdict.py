"""
The demo's verdict on a whole run: freqtrade ran until the demo stopped it, at least one position
opened, every traded pair prepared before its first order, every signed request verified, no
secret in the log, and no ERROR line or traceback from the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from freqtrade_bybit_margin.demo.bot_runner import BotRun
from freqtrade_bybit_margin.demo.timeline import PairTimeline


__all__ = ["Verdict", "judge", "plugin_errors"]

#: Loggers of the plugin (``freqtrade_bybit_margin.bot.live``, ``.service...``).
PLUGIN_LOGGER = "freqtrade_bybit_margin"
#: Words that tie another logger's error or a traceback to the plugin: its package, its mixin
#: (freqtrade's strategy wrapper names the failing bound method) and its sample strategy.
PLUGIN_MARKS = (PLUGIN_LOGGER, "BybitMargin")
ERROR_LEVELS = ("ERROR", "CRITICAL")
TRACEBACK = "Traceback (most recent call last):"
#: freqtrade's ``LOGFORMAT``: ``%(asctime)s - %(name)s - %(levelname)s - %(message)s``.
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ - (?P<name>\S+) - (?P<level>[A-Z]+) - (?P<msg>.*)$")


@dataclass(frozen=True)
class Verdict:
    """OK, or the problems found (one line each).

    :param secret_leaked: the API secret appears in the bot's log
    """

    problems: tuple[str, ...]
    secret_leaked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def plugin_errors(log_text: str) -> list[str]:
    """
    ERROR / CRITICAL records and tracebacks from the plugin in a freqtrade log.

    A record counts when its logger is the plugin's, or when its message names the plugin; a
    traceback when one of its lines does (a frame in the plugin's code).
    :param log_text: the bot's log (file and console output may both be in it)
    :return: one line per distinct problem, in order of appearance
    """
    found: list[str] = []
    block: list[str] | None = None
    for line in [*log_text.splitlines(), ""]:
        record = _RECORD.match(line)
        if block is not None and (record is not None or not line.strip()):
            if any(mark in text for text in block for mark in PLUGIN_MARKS):
                found.append(f"traceback: {block[-1].strip()}")
            block = None
        if line.startswith(TRACEBACK):
            block = []
        elif block is not None:
            block.append(line)
        elif record is not None and record["level"] in ERROR_LEVELS and _is_plugins(record):
            found.append(f"{record['level']} {record['name']}: {record['msg'].strip()}")
    return list(dict.fromkeys(found))


def _is_plugins(record: re.Match[str]) -> bool:
    if record["name"].startswith(PLUGIN_LOGGER):
        return True
    return any(mark in record["msg"] for mark in PLUGIN_MARKS)


def judge(run: BotRun, rows: Sequence[PairTimeline], secret: str) -> Verdict:
    """
    Judge a finished demo run.

    :param run: the bot run
    :param rows: its timeline
    :param secret: the API secret, which must appear nowhere in the log
    :return: the verdict
    """
    problems: list[str] = []
    if not run.stopped:
        problems.append(
            f"freqtrade exited by itself (exit code {run.exit_code}) before the demo stopped it"
        )
    traded = [row for row in rows if row.traded]
    if not traded:
        problems.append("no pair was traded")
    elif all(row.position == "-" for row in rows):
        problems.append("no position opened: orders were placed, none filled")
    late = [row.pair.target.pair for row in traded if not row.prepared_before_order]
    if late:
        problems.append(f"traded before it was prepared: {', '.join(late)}")
    bad = [e for e in run.journal if e.signed and e.signature_ok is False]
    if bad:
        problems.append(f"{len(bad)} request(s) with a bad signature")
    leaked = secret in run.log_text
    if leaked:
        problems.append("the API secret appears in the bot's log")
    problems += [f"plugin {line}" for line in plugin_errors(run.log_text)]
    return Verdict(tuple(problems), leaked)
