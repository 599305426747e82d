"""A single-team server whose own key the API refuses: a bulk tool stops after one request
instead of asking once per URL with a dead key, and says what is wrong."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mcp import Client
from starlette.types import ASGIApp, Receive, Scope, Send

from dnc_client.testing import FakeSleep, FrozenClock
from mcp_server.config import McpConfig
from mcp_server.embedded import Backend
from mcp_server.runtime import open_server
from mcp_server.testing import BASE_URL, TEAM_KEYS
from reference_server import Settings, embedded_app

pytestmark = pytest.mark.anyio
DEAD_KEY = "sk_live_revoked_or_mistyped_key_0c1d"


class Counted:
    """In front of the reference server: counts the requests that reach it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


async def test_a_bulk_check_with_the_servers_dead_key_sends_one_request_not_one_per_url(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    settings = Settings(api_keys=TEAM_KEYS, db_path=tmp_path / "dnc.db", clock=clock)
    config = McpConfig(
        base_url=BASE_URL,
        api_key=DEAD_KEY,
        data_dir=tmp_path,
        audit_path=tmp_path / "audit.jsonl",
    )
    urls = [f"in/prospect-{i}" for i in range(200)]
    async with embedded_app(settings, access_log=False) as app:
        counted = Counted(app)
        backend = Backend(
            base_url=BASE_URL,
            api_key=DEAD_KEY,
            transport=httpx.ASGITransport(app=counted),
            description="reference server in-process",
        )
        async with (
            open_server(config, clock=clock, sleep=FakeSleep(clock), backend=backend) as running,
            Client(running.server) as client,
        ):
            many = await client.call_tool("dnc_check_many", {"urls": urls})
            after_many = counted.requests
            one = await client.call_tool("dnc_check", {"url": "in/prospect-1"})
    assert after_many == 1, f"{after_many} requests with a dead key for {len(urls)} URLs"
    assert counted.requests == 1  # still quiet: the next tool is refused without asking
    assert many.is_error
    assert one.is_error
    assert "DNC_API_KEY" in many.model_dump_json()
    assert "DNC_API_KEY" in one.model_dump_json()
    assert DEAD_KEY not in many.model_dump_json() + one.model_dump_json()
