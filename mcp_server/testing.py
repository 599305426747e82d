"""Helpers for driving the MCP server in-process (tests, demo, benchmark); not used in serving.

    async with open_stack(tmp_path) as stack:
        async with mcp.Client(stack.server) as client:
            await client.call_tool("dnc_check", {"url": "in/someone"})

The stack is `runtime.open_server`, the very composition `dnc mcp` runs, with the backend
replaced by the reference server in-process (two teams). One frozen clock drives the reference
server, the client's pacing, the confirmation tokens and the approvals' expiry; `FakeSleep`
advances it, so rate-limit waits take no real time. The approval page is served for real, on a
loopback port started on first need (`stack.page_url`), as in stdio mode.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from mcp.server import MCPServer
from starlette.applications import Starlette

from dnc_client import DEFAULT_MAX_WAIT_S, AsyncDncClient
from dnc_client.testing import FakeSleep, FrozenClock
from dnc_kit.contract import BUCKET_LIMITS
from mcp_server.config import McpConfig, ToolMode
from mcp_server.deletion import (
    DEFAULT_APPROVAL_TTL_S,
    DEFAULT_TOKEN_TTL_S,
    ApprovalService,
    DeletePolicy,
)
from mcp_server.embedded import Backend
from mcp_server.runtime import open_server
from mcp_server.stdio_page import page_on_demand
from mcp_server.tools import ToolDeps
from reference_server import Settings, embedded_app

__all__ = [
    "BASE_URL",
    "TEAM_KEYS",
    "FakeSleep",
    "FrozenClock",
    "Stack",
    "StackFactory",
    "open_stack",
]

BASE_URL: Final = "http://dnc.test/v1"
TEAM_KEYS: Final = {
    "sk_live_TEAM_A_never_show_me_4f1c9a": "team_a",
    "sk_live_TEAM_B_never_show_me_77ab02": "team_b",
}


@dataclass
class Stack:
    """A running stack: reference server -> `dnc mcp`'s own composition -> MCPServer."""

    server: MCPServer
    deps: ToolDeps
    api: AsyncDncClient  # the server's own client (team_a's key)
    app: Starlette
    audit_path: Path
    clock: FrozenClock
    sleep: FakeSleep
    api_key: str  # team_a's key, the one the MCP server uses
    other_team_key: str  # team_b's key
    approvals: ApprovalService

    @property
    def page_url(self) -> str:
        """Base URL of the approval page, once the first approval started it."""
        assert self.approvals.base_url is not None, "no approval has started the page yet"
        return self.approvals.base_url

    async def start_page(self) -> str:
        """Start the approval page now, as the first approval would."""
        assert self.approvals.start_page is not None
        self.approvals.base_url = await self.approvals.start_page()
        return self.approvals.base_url

    def audit_lines(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        lines = self.audit_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    @asynccontextmanager
    async def http(self, key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """A plain HTTP client to the same reference server, for setup and cross-checks."""
        transport = httpx.ASGITransport(app=self.app)
        headers = {"Authorization": f"Bearer {key or self.api_key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, headers=headers
        ) as client:
            yield client


@asynccontextmanager
async def open_stack(
    data_dir: Path,
    *,
    mode: ToolMode = ToolMode.FULL,
    clock: FrozenClock | None = None,
    rate_limits: Mapping[str, int] | None = None,
    client_rate_limits: Mapping[str, int] | None = None,
    token_ttl_s: float = DEFAULT_TOKEN_TTL_S,
    max_wait_s: float = DEFAULT_MAX_WAIT_S,
    policy: DeletePolicy | None = None,
    approval_ttl_s: float = DEFAULT_APPROVAL_TTL_S,
) -> AsyncIterator[Stack]:
    """`dnc mcp` (stdio mode's wiring) in front of the reference server in-process."""
    the_clock = clock or FrozenClock()
    sleep = FakeSleep(the_clock)
    policy = policy or DeletePolicy()
    settings = Settings(
        api_keys=TEAM_KEYS,
        db_path=data_dir / "dnc.db",
        clock=the_clock,
        rate_limits=dict(rate_limits or BUCKET_LIMITS),
    )
    api_key, other_team_key = list(TEAM_KEYS)
    config = McpConfig(
        base_url=BASE_URL,
        api_key=api_key,
        data_dir=data_dir,
        audit_path=data_dir / "audit" / "mcp-audit.jsonl",
        mode=mode,
        max_wait_s=max_wait_s,
        token_ttl_s=token_ttl_s,
        approval_ttl_s=approval_ttl_s,
        confirm_with_token=policy.confirm_with_token,
        prefer_url_elicitation=policy.prefer_url_elicitation,
    )
    async with embedded_app(settings, access_log=False) as app:
        backend = Backend(
            base_url=BASE_URL,
            api_key=api_key,
            transport=httpx.ASGITransport(app=app),
            description="reference server in-process",
        )
        async with (
            open_server(
                config,
                clock=the_clock,
                sleep=sleep,
                backend=backend,
                rate_limits=client_rate_limits or rate_limits,
                poll_s=0.02,
            ) as running,
            page_on_demand(running.approvals),
        ):
            assert running.client is not None
            yield Stack(
                server=running.server,
                deps=running.deps,
                api=running.client,
                app=app,
                audit_path=config.audit_path,
                clock=the_clock,
                sleep=sleep,
                api_key=api_key,
                other_team_key=other_team_key,
                approvals=running.approvals,
            )


StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]
"""`make_stack(mode=..., rate_limits=...)`: `open_stack` with the data dir already chosen."""
