"""Structured logging: one JSON object per line on stderr.

Nothing here ever receives an API key: callers log `key_fingerprint`, and the access log
records method, path (without the query, which holds personal data) and status only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

__all__ = ["JsonFormatter", "configure_logging", "log_event"]

LOGGER_NAME = "reference_server"
logger = logging.getLogger(LOGGER_NAME)

# uvicorn adds `color_message` (ANSI-coloured duplicate of the message): not for JSON logs.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            payload["exception"] = record.exc_info[0].__name__
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Send this package's, uvicorn's and psycopg's logs to stderr as JSON lines (idempotent).

    psycopg's pool reports reconnection attempts during a PostgreSQL outage; at INFO it also
    narrates every pool resize, so it logs from WARNING up.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    levels = {LOGGER_NAME: level, "uvicorn": level, "uvicorn.error": level}
    levels["psycopg"] = max(level, logging.WARNING)
    # asyncio reports an accept() out of descriptors (rate-limited by dnc_kit.serving).
    levels["asyncio"] = max(level, logging.WARNING)
    for name, wanted in levels.items():
        target = logging.getLogger(name)
        target.handlers[:] = [handler]
        target.setLevel(wanted)
        target.propagate = False


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra=fields)
