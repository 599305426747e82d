"""The local DNC list: the reference server in-process, kept in the user's data dir.

`dnc mcp` and the human CLI (`dnc add`, `dnc check`, ...) both use it when no DNC_BASE_URL is
set, so a person sees and manages exactly what an agent recorded: one SQLite file and one
generated team key (mode 0600) in the same folder, which survive restarts. The folder is
`DNC_MCP_DATA_DIR`, or the platform's user data dir for `dnc-kit`.

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
import platformdirs

from reference_server.app import embedded_app
from reference_server.settings import Settings

__all__ = [
    "APP_NAME",
    "DATA_DIR_ENV",
    "DB_NAME",
    "EMBEDDED_BASE_URL",
    "EMBEDDED_TEAM",
    "KEY_NAME",
    "LocalBackend",
    "data_dir_from_env",
    "default_data_dir",
    "load_or_create_key",
    "local_backend",
]

APP_NAME: Final = "dnc-kit"
DATA_DIR_ENV: Final = "DNC_MCP_DATA_DIR"
EMBEDDED_BASE_URL: Final = "http://dnc-embedded.invalid/v1"
EMBEDDED_TEAM: Final = "team_local"
DB_NAME: Final = "embedded-dnc.db"
KEY_NAME: Final = "embedded-api-key"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    configured = env.get(DATA_DIR_ENV, "").strip()
    return Path(configured) if configured else default_data_dir()


def load_or_create_key(path: Path) -> str:
    """The local team key stored at `path`, generated (0600) on first use."""
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
    db_path = data_dir / DB_NAME
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
