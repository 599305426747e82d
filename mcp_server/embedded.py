"""The API the tools talk to: a configured deployment, or the embedded reference backend.

Without DNC_BASE_URL, `dnc mcp` serves the project's reference server in-process: the local
list of `reference_server.local` (a SQLite file in the data dir and one generated team key
beside it), the very list the human CLI (`dnc list`, `dnc delete`, ...) shows and manages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from dnc_kit.redaction import redact_url
from reference_server.local import (
    DB_NAME,
    EMBEDDED_BASE_URL,
    EMBEDDED_TEAM,
    KEY_NAME,
    load_or_create_key,
    local_backend,
)

__all__ = [
    "DB_NAME",
    "EMBEDDED_BASE_URL",
    "EMBEDDED_TEAM",
    "KEY_NAME",
    "Backend",
    "embedded_backend",
    "load_or_create_key",
]


@dataclass(frozen=True)
class Backend:
    """Where requests go: a base URL, the key, and (embedded only) an in-process transport."""

    base_url: str
    api_key: str
    transport: httpx.AsyncBaseTransport | None
    description: str

    def __repr__(self) -> str:
        return f"Backend({self.description!r})"


@asynccontextmanager
async def embedded_backend(
    data_dir: Path, *, rate_window_s: float | None = None
) -> AsyncIterator[Backend]:
    """The reference server in-process, its storage open for the duration."""
    async with local_backend(data_dir, rate_window_s=rate_window_s) as local:
        yield Backend(
            base_url=local.base_url,
            api_key=local.api_key,
            transport=local.transport,
            description=f"embedded reference backend (SQLite at {local.db_path})",
        )


@asynccontextmanager
async def remote_backend(base_url: str, api_key: str) -> AsyncIterator[Backend]:
    """A deployment reached over HTTP."""
    yield Backend(
        base_url=base_url,
        api_key=api_key,
        transport=None,
        description=f"DNC API at {redact_url(base_url)}",  # logged: never a password
    )
