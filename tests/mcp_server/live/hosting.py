"""One `dnc mcp` HTTP server for many teams, in-process but over real HTTP: the wiring of
`dnc mcp --transport streamable-http` (runtime, HTTP app, sweeper) in front of the reference
server (in-process, two teams), served by uvicorn on a loopback port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from dnc_client.testing import FakeSleep, FrozenClock
from mcp_server.config import McpConfig
from mcp_server.embedded import Backend
from mcp_server.http_app import bind, build_http_app, serving
from mcp_server.runtime import Running, open_server
from mcp_server.testing import BASE_URL, TEAM_KEYS
from reference_server import Settings, embedded_app

KEY_A, KEY_B = list(TEAM_KEYS)
STATE_SECRET = "a-shared-request-state-secret-of-32-bytes-or-more"


@dataclass
class Hosted:
    url: str  # the MCP endpoint
    base_url: str
    running: Running
    config: McpConfig

    def audit_lines(self) -> list[dict[str, Any]]:
        path = self.config.audit_path
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


@asynccontextmanager
async def reference_api(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Starlette]:
    settings = Settings(api_keys=TEAM_KEYS, db_path=tmp_path / "reference.db", clock=clock)
    async with embedded_app(settings, access_log=False) as app:
        yield app


def hosted_config(tmp_path: Path, name: str, **changes: Any) -> McpConfig:
    config = McpConfig(
        base_url=BASE_URL,
        api_key=None,
        data_dir=tmp_path / name,
        audit_path=tmp_path / name / "audit.jsonl",
        transport="streamable-http",
    )
    return replace(config, **changes)


@asynccontextmanager
async def hosted(
    api: Starlette, config: McpConfig, clock: FrozenClock, sleep: FakeSleep | None = None
) -> AsyncIterator[Hosted]:
    backend = Backend(
        base_url=BASE_URL,
        api_key="",
        transport=httpx.ASGITransport(app=api),
        description="reference server in-process",
    )
    async with open_server(
        config, clock=clock, sleep=sleep or FakeSleep(clock), backend=backend
    ) as running:
        sock = bind("127.0.0.1", 0)
        port: int = sock.getsockname()[1]
        app = build_http_app(running, config, port)
        async with serving(app, sock), anyio.create_task_group() as group:
            if running.multi_tenant:
                group.start_soon(running.approvals.run_sweeper)
            base_url = f"http://127.0.0.1:{port}"
            yield Hosted(f"{base_url}/mcp", base_url, running, config)
            group.cancel_scope.cancel()


@asynccontextmanager
async def team_client(
    url: str, key: str | None, transport: httpx2.AsyncBaseTransport | None = None, **options: Any
) -> AsyncIterator[Client]:
    """A real MCP client over streamable HTTP that sends `key` as its bearer token."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60, transport=transport) as http,
        Client(streamable_http_client(url, http_client=http), **options) as client,
    ):
        yield client


class Alternating(httpx2.AsyncHTTPTransport):
    """Sends each request to the next replica in turn, as a load balancer without affinity."""

    def __init__(self, ports: list[int]) -> None:
        super().__init__()
        self._ports = ports
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(port=self._ports[self.sent % len(self._ports)])
        self.sent += 1
        return await super().handle_async_request(request)
