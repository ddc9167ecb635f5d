"""Logging for the service: one line per record, as text or (LOG_FORMAT=json) as JSON objects.

Whatever a record carries, its message is cut to `MAX_MESSAGE_CHARS` and a traceback to
`MAX_TRACEBACK_CHARS`, saying how long it was: a stranger's 10 MB value never reaches the log whole.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 8000
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [cut: {len(text):,} characters]"


class Clipped(logging.Filter):
    """Renders each record's message once, clipped, so no formatter can print the full value."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still logged, as its template
            message = str(record.msg)
        record.msg, record.args = clip(message, MAX_MESSAGE_CHARS), None
        return True


class ClippedText(logging.Formatter):
    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return clip(super().formatException(ei), MAX_TRACEBACK_CHARS)


class ClippedJson(JsonFormatter):
    def formatException(self, ei) -> str:  # noqa: N802
        return clip(super().formatException(ei), MAX_TRACEBACK_CHARS)


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return ClippedJson("%(asctime)s %(levelname)s %(name)s %(message)s",
                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    return ClippedText(TEXT_FORMAT)


def configure_logging(level: str = "info", log_format: str = "text") -> logging.Handler:
    """Route every logger (uvicorn's too) through one clipped handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(Clipped())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
