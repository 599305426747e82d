"""Helpers for driving the MCP server in-process (tests, demo, benchmark); not used in serving.

    async with open_stack(tmp_path) as stack:
        async with mcp.Client(stack.server) as client:
            await client.call_tool("dnc_check", {"url": "in/someone"})

One frozen clock drives the reference server, the client's pacing, the confirmation tokens and
the approvals' expiry; `FakeSleep` advances it, so rate-limit waits take no real time. The
approval page is served for real, on a loopback port (`stack.page_url`), as in stdio mode.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from mcp.server import MCPServer
from starlette.applications import Starlette

from dnc_client import AsyncDncClient
from dnc_client.retry import DEFAULT_MAX_WAIT_S
from dnc_client.spec import BUCKET_LIMITS
from dnc_client.testing import FakeSleep, FrozenClock
from mcp_server.api import DncApi
from mcp_server.approval import (
    DEFAULT_APPROVAL_TTL_S,
    Approval,
    ApprovalService,
    ApprovalStore,
    KeyVault,
    MemoryApprovalStore,
)
from mcp_server.audit import AuditLog
from mcp_server.config import ToolMode
from mcp_server.confirm import DEFAULT_TOKEN_TTL_S
from mcp_server.http_app import loopback_page
from mcp_server.runtime import assemble_deps
from mcp_server.server import build_server
from mcp_server.tenancy import LearningApi, SingleTenant, TeamDirectory, key_fingerprint
from mcp_server.tools import DeletePolicy, ToolDeps
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
    """A running stack: reference server -> AsyncDncClient -> tools -> MCPServer."""

    server: MCPServer
    deps: ToolDeps
    api: AsyncDncClient  # the server's own client (team_a's key)
    app: Starlette
    audit_path: Path
    clock: FrozenClock
    sleep: FakeSleep
    api_key: str  # team_a's key, the one the MCP server uses
    other_team_key: str  # team_b's key
    page_url: str  # base URL of the approval page

    @property
    def approvals(self) -> ApprovalService:
        assert self.deps.approvals is not None
        return self.deps.approvals

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
    store: ApprovalStore | None = None,
) -> AsyncIterator[Stack]:
    """The whole stack in-process, SQLite and audit log under `data_dir`."""
    the_clock = clock or FrozenClock()
    sleep = FakeSleep(the_clock)
    settings = Settings(
        api_keys=TEAM_KEYS,
        db_path=data_dir / "dnc.db",
        clock=the_clock,
        rate_limits=dict(rate_limits or BUCKET_LIMITS),
    )
    api_key, other_team_key = list(TEAM_KEYS)
    audit_path = data_dir / "audit" / "mcp-audit.jsonl"
    async with (
        embedded_app(settings, access_log=False) as app,
        AsyncDncClient(
            BASE_URL,
            api_key,
            transport=httpx.ASGITransport(app=app),
            rate_limits=client_rate_limits or rate_limits or BUCKET_LIMITS,
            clock=the_clock,
            sleep=sleep,
            max_wait_s=max_wait_s,
        ) as client,
    ):
        directory = TeamDirectory()
        fingerprint = key_fingerprint(api_key)
        tenancy = SingleTenant(fingerprint, directory)
        api = LearningApi(client, fingerprint, directory)

        def open_api(approval: Approval) -> AbstractAsyncContextManager[DncApi] | None:
            return contextlib.nullcontext(api)

        deps = assemble_deps(
            api=api,
            tenancy=tenancy,
            store=store or MemoryApprovalStore(),
            vault=KeyVault(clock=the_clock),
            open_api=open_api,
            audit=AuditLog(audit_path, the_clock, context=tenancy.audit_fields),
            clock=the_clock,
            token_ttl_s=token_ttl_s,
            approval_ttl_s=approval_ttl_s,
            policy=policy or DeletePolicy(),
            poll_s=0.02,
        )
        assert deps.approvals is not None
        async with loopback_page(deps.approvals) as page_url:
            yield Stack(
                server=build_server(deps, mode=mode),
                deps=deps,
                api=client,
                app=app,
                audit_path=audit_path,
                clock=the_clock,
                sleep=sleep,
                api_key=api_key,
                other_team_key=other_team_key,
                page_url=page_url,
            )


StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]
"""`make_stack(mode=..., rate_limits=...)`: `open_stack` with the data dir already chosen."""
