"""The local DNC list: the reference server in-process, kept in the user's data dir.

`dnc mcp` and the human CLI (`dnc add`, `dnc check`, ...) both use it when no DNC_BASE_URL is
set, so a person sees and manages exactly what an agent recorded: one SQLite file and one
generated team key in the same folder, which survive restarts. The folder is `DNC_DATA_DIR`
(read by `dnc_kit.settings`; the old name DNC_MCP_DATA_DIR still works), or the platform's user
data dir for `dnc-kit`. The folder is created 0700 and its files 0600: it holds a key and
people's data.

Requests reach the app through `httpx.ASGITransport`, so no port is opened.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import httpx

from dnc_kit.private_files import PRIVATE_FILE_MODE, private_dir, touch_private
from dnc_kit.settings import read_environment
from reference_server.app import embedded_app
from reference_server.settings import Settings

__all__ = [
    "DB_NAME",
    "EMBEDDED_BASE_URL",
    "EMBEDDED_TEAM",
    "KEY_NAME",
    "LocalBackend",
    "data_dir_from_env",
    "load_or_create_key",
    "local_backend",
]

EMBEDDED_BASE_URL: Final = "http://dnc-embedded.invalid/v1"
EMBEDDED_TEAM: Final = "team_local"
DB_NAME: Final = "embedded-dnc.db"
KEY_NAME: Final = "embedded-api-key"


def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    return read_environment(environ).data_dir


def load_or_create_key(path: Path) -> str:
    """The local team key stored at `path`, generated (0600) on first use."""
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    private_dir(path.parent)
    key = "dnck_" + secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


@dataclass(frozen=True)
class LocalBackend:
    """What a client needs to talk to the local list: base URL, key, in-process transport."""

    base_url: str
    api_key: str
    transport: httpx.AsyncBaseTransport
    db_path: Path

    def __repr__(self) -> str:  # never the key
        return f"LocalBackend(db_path={str(self.db_path)!r})"


@asynccontextmanager
async def local_backend(
    data_dir: Path, *, rate_window_s: float | None = None
) -> AsyncIterator[LocalBackend]:
    """The reference server in-process on the data dir's SQLite file, open for the duration."""
    key = load_or_create_key(data_dir / KEY_NAME)
    db_path = touch_private(data_dir / DB_NAME)  # SQLite would create it with the umask's mode
    settings = Settings(api_keys={key: EMBEDDED_TEAM}, db_path=db_path)
    if rate_window_s is not None:
        settings = replace(settings, rate_window_s=rate_window_s)
    async with embedded_app(settings, access_log=False) as app:
        yield LocalBackend(
            base_url=EMBEDDED_BASE_URL,
            api_key=key,
            transport=httpx.ASGITransport(app=app),
            db_path=db_path,
        )
