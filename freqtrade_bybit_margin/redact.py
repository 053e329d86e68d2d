"""
Keep credentials out of every text the plugin shows: failure reasons, log records, RPC messages
and CLI output.

Bybit echoes what it signed in a signature error, API key included
(``"error sign! origin_string[<timestamp><apiKey><recvWindow><payload>]"``), and ccxt puts
Bybit's answer verbatim into its exception messages, so any text built from an exception may
carry the key. Two nets catch it:

- the values whoever holds the credentials registers (:func:`register`: the API key and its
  secret), masked wherever they appear;
- what looks like a credential or a signature whatever its value: the contents of
  ``origin_string[...]``, 64-digit hex strings (HMAC-SHA256 signatures), the values of the
  ``X-BAPI-API-KEY`` / ``X-BAPI-SIGN`` headers and of ``apiKey`` / ``api_key`` / ``secret``
  fields.

A leaf: imports nothing from the package, so every part may use it.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any


__all__ = ["MASK", "ScrubFilter", "install_log_filter", "register", "scrub"]

#: what a masked value is replaced with
MASK = "***"
#: shorter values are not registered: masking them would garble ordinary text
MIN_SECRET_LENGTH = 4
#: the logger tree :func:`install_log_filter` scrubs
LOGGER = "freqtrade_bybit_margin"

_ORIGIN = "origin_string["
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # X-BAPI-API-KEY / X-BAPI-SIGN header values, in a dict repr, JSON or an HTTP header block
    (
        re.compile(
            r"""(X-BAPI-(?:API-KEY|SIGN)(?![\w-])["']?\s*[:=]\s*["']?)[^"',;)\]\s}]+""",
            re.IGNORECASE,
        ),
        rf"\g<1>{MASK}",
    ),
    # "apiKey": "...", 'secret': '...', api_key=... (JSON, dict repr, query string, kwargs)
    (
        re.compile(
            r"""((?<![\w-])["']?(?:api_?key|api_?secret|secret|sign|signature)["']?"""
            r"""\s*(?::|=)\s*["']?)[^"'&,;)\]\s}]+""",
            re.IGNORECASE,
        ),
        rf"\g<1>{MASK}",
    ),
    # a hex HMAC-SHA256 signature
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])"), MASK),
)

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def register(*values: str | None) -> None:
    """
    Mask these values wherever :func:`scrub` meets them, from now on, process-wide.

    :param values: credentials (the API key, its secret, a password); ``None``, empty and
        values shorter than :data:`MIN_SECRET_LENGTH` characters are ignored
    """
    global _secrets
    fresh = {str(v) for v in values if v is not None and len(str(v)) >= MIN_SECRET_LENGTH}
    with _lock:
        # longest first, so that a secret containing another is masked whole
        _secrets = tuple(sorted(set(_secrets) | fresh, key=len, reverse=True))


def scrub(text: str) -> str:
    """
    ``text`` with every registered value and everything that looks like a credential or a
    signature replaced by :data:`MASK`.

    :param text: any text (a failure reason, a log message, an RPC message)
    :return: the same text, masked; unchanged when it holds nothing to mask
    """
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _mask_origin_strings(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _mask_origin_strings(text: str) -> str:
    """Mask the contents of every ``origin_string[...]`` (brackets balanced; an unclosed one is
    masked to the end of the text)."""
    start = text.find(_ORIGIN)
    while start >= 0:
        begin = start + len(_ORIGIN)
        depth, end = 1, len(text)
        for index in range(begin, len(text)):
            depth += {"[": 1, "]": -1}.get(text[index], 0)
            if depth == 0:
                end = index
                break
        text = text[:begin] + MASK + text[end:]
        start = text.find(_ORIGIN, begin + len(MASK))
    return text


class ScrubFilter(logging.Filter):
    """Scrubs a log record in place: its message (arguments merged in), its exception text and
    its stack text. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: logging reports it later
            message = None
        if message is not None and (clean := scrub(message)) != message:
            record.msg, record.args = clean, ()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            if (clean := scrub(text)) != text:
                record.exc_text, record.exc_info = clean, None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_filter: ScrubFilter | None = None


def install_log_filter() -> ScrubFilter:
    """
    Scrub every record of the ``freqtrade_bybit_margin`` logger tree from now on (idempotent).

    A logger's own filters see only the records logged on that very logger, not those of its
    children (``freqtrade_bybit_margin.service.calls`` ...), and modules create their loggers
    when they are first imported; so the filter runs where every record is made: it wraps the
    process's log record factory, for the records of this tree only.

    :return: the filter (the same one on every call)
    """
    global _filter
    with _lock:
        if _filter is not None:
            return _filter
        scrubber = ScrubFilter(LOGGER)
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            if record.name == LOGGER or record.name.startswith(LOGGER + "."):
                scrubber.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _filter = scrubber
        return scrubber
