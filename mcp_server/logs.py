"""Logging for `dnc mcp`: stderr only (stdout is the stdio protocol), no per-request chatter.

httpx logs every request URL at INFO, and check URLs carry prospects' profile URLs in the query
string; the SDK, uvicorn (the approval page, streamable HTTP) and the embedded reference server
log each call or start-up step. Those loggers are held at WARNING. Nothing here ever formats
an API key.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Final

__all__ = ["NOISY_LOGGERS", "configure_logging", "quieted"]

NOISY_LOGGERS: Final = ("httpx", "httpcore", "mcp", "reference_server", "uvicorn")


def configure_logging(level: int = logging.INFO) -> None:
    """One stderr handler on the root logger (set before the SDK's basicConfig, which then
    does nothing), noisy loggers at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@contextlib.contextmanager
def quieted() -> Iterator[None]:
    """Hold the noisy loggers at WARNING for a while (demo, benchmark), then restore them."""
    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
