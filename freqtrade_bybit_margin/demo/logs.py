"""
freqtrade's own words after a failed demo run: which of its log files exist, and the last error
lines in them (ERROR / CRITICAL records, and the exception a traceback ends with), so that a bot
that died at import or startup says why on the demo's own output.
"""

from __future__ import annotations

import re
from pathlib import Path


__all__ = ["LOG_FILES", "existing_logs", "last_errors"]

#: The run's log files, relative to its folder: freqtrade's log file (written once its logging is
#: set up) and everything the process printed (an import error lands only here).
LOG_FILES = ("logs/freqtrade.log", "logs/stdout.log")
#: freqtrade's ``LOGFORMAT``: ``%(asctime)s - %(name)s - %(levelname)s - %(message)s``.
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ - \S+ - (ERROR|CRITICAL) - ")
#: The line a traceback ends with: ``ModuleNotFoundError: No module named 'scipy'``.
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b(: .*)?$")


def existing_logs(workdir: Path) -> list[str]:
    """
    The run's log files that exist and are not empty, relative to ``workdir``.

    :param workdir: the run's folder
    """
    return [name for name in LOG_FILES if _size(workdir / name) > 0]


def last_errors(workdir: Path, limit: int = 6) -> list[tuple[str, list[str]]]:
    """
    The last error lines of each existing log file.

    :param workdir: the run's folder
    :param limit: lines per file at most (the last ones)
    :return: (file name relative to ``workdir``, its last error lines), files without any left out
    """
    found = []
    for name in existing_logs(workdir):
        text = (workdir / name).read_text(encoding="utf-8", errors="replace")
        lines = [
            line.rstrip()
            for line in text.splitlines()
            if _RECORD.match(line) or _EXCEPTION.match(line)
        ]
        if lines:
            found.append((name, list(dict.fromkeys(lines))[-limit:]))
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
