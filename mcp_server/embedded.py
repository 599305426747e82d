"""The API the tools talk to: a configured deployment, or the embedded reference backend.

Without DNC_BASE_URL, `dnc mcp` serves the project's reference server in-process
(`reference_server.embedded_app` over `httpx.ASGITransport`): a SQLite file in the data dir and
one generated team key persisted beside it (mode 0600), so the list survives restarts.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import httpx

__all__ = [
    "EMBEDDED_BASE_URL",
    "EMBEDDED_TEAM",
    "Backend",
    "embedded_backend",
    "load_or_create_key",
]

EMBEDDED_BASE_URL: Final = "http://dnc-embedded.invalid/v1"
EMBEDDED_TEAM: Final = "team_local"
DB_NAME: Final = "embedded-dnc.db"
KEY_NAME: Final = "embedded-api-key"


@dataclass(frozen=True)
class Backend:
    """Where requests go: a base URL, the key, and (embedded only) an in-process transport."""

    base_url: str
    api_key: str
    transport: httpx.AsyncBaseTransport | None
    description: str

    def __repr__(self) -> str:
        return f"Backend({self.description!r})"


def load_or_create_key(path: Path) -> str:
    """The embedded team key stored at `path`, generated (0600) on first use."""
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = "dnck_" + secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


@asynccontextmanager
async def embedded_backend(
    data_dir: Path, *, rate_window_s: float | None = None
) -> AsyncIterator[Backend]:
    """The reference server in-process, its storage open for the duration."""
    from reference_server import Settings, embedded_app  # only the embedded mode needs it

    key = load_or_create_key(data_dir / KEY_NAME)
    db_path = data_dir / DB_NAME
    settings = Settings(api_keys={key: EMBEDDED_TEAM}, db_path=db_path)
    if rate_window_s is not None:
        settings = replace(settings, rate_window_s=rate_window_s)
    async with embedded_app(settings) as app:
        yield Backend(
            base_url=EMBEDDED_BASE_URL,
            api_key=key,
            transport=httpx.ASGITransport(app=app),
            description=f"embedded reference backend (SQLite at {db_path})",
        )


@asynccontextmanager
async def remote_backend(base_url: str, api_key: str) -> AsyncIterator[Backend]:
    """A deployment reached over HTTP."""
    yield Backend(
        base_url=base_url, api_key=api_key, transport=None, description=f"DNC API at {base_url}"
    )
