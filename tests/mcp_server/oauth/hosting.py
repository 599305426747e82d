"""`dnc mcp --oauth` for many teams, in-process over real HTTP (the live tests' wiring)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from dnc_client.testing import FrozenClock
from tests.mcp_server.live.hosting import (
    KEY_A,
    KEY_B,
    Hosted,
    hosted,
    hosted_config,
    reference_api,
)

SECRET = "an-oauth-server-secret-of-at-least-32-bytes"
OTHER_SECRET = "another-oauth-server-secret-of-32-bytes-or-more"

__all__ = ["KEY_A", "KEY_B", "OTHER_SECRET", "SECRET", "oauth_server"]


@asynccontextmanager
async def oauth_server(tmp_path: Path, name: str = "one", **changes: Any) -> AsyncIterator[Hosted]:
    """A multi-team `dnc mcp --oauth` in front of the reference server (teams A and B)."""
    clock = FrozenClock()
    config = hosted_config(tmp_path, name, oauth=True, oauth_secret=SECRET, **changes)
    async with reference_api(tmp_path / name, clock) as api, hosted(api, config, clock) as hosting:
        yield hosting
