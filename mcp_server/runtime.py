"""Wiring: configuration -> backend -> API client(s) -> approvals -> tool dependencies -> server.

Single-tenant (a configured or embedded key): one `AsyncDncClient` for every request.
Multi-tenant (`McpConfig.multi_tenant`): a `RequestScopedApi` that acts with each request's own
key, paced per key. Pending approvals live in memory, or in Redis with `--redis-url`. On a
hosted server (off loopback, or many teams) the approver signs in on the approval page.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import RequestStateSecurity
from mcp.server.mcpserver.exceptions import ToolError

from dnc_client import AsyncDncClient, Clock, DncError, PacingStates, Sleep
from dnc_kit.contract import BUCKET_LIMITS
from dnc_kit.fingerprints import key_fingerprint as approver_fingerprint
from mcp_server.api import DncApi
from mcp_server.audit import AuditLog
from mcp_server.config import McpConfig, ToolMode, is_loopback
from mcp_server.deletion import (
    ApprovalService,
    ConfirmationTokens,
    DeleteFlow,
    DeletePolicy,
    SignIn,
    find_delete_target,
)
from mcp_server.deletion.approval import (
    Approval,
    ApprovalStore,
    KeyVault,
    MemberCheck,
    MemoryApprovalStore,
)
from mcp_server.embedded import Backend, embedded_backend, remote_backend
from mcp_server.oauth import GRANT_DB_NAME, GrantStore, RedisGrantStore, SqliteGrantStore
from mcp_server.server import build_server
from mcp_server.tenancy import (
    ApiFactory,
    DeadKeyGuard,
    LearningApi,
    MultiTenant,
    RequestScopedApi,
    SingleTenant,
    TeamDirectory,
    Tenancy,
    key_fingerprint,
)
from mcp_server.tools import ToolDeps

__all__ = ["Running", "hosted", "open_grant_store", "open_server", "open_store"]


@dataclass(frozen=True)
class Running:
    server: MCPServer
    deps: ToolDeps
    backend: Backend
    approvals: ApprovalService
    multi_tenant: bool
    offers_delete: bool
    client: AsyncDncClient | None  # single-tenant: the server's own client
    grants: GrantStore | None = None  # --oauth: clients, codes, tokens and sealed team keys


def open_store(redis_url: str | None) -> ApprovalStore:
    if redis_url is None:
        return MemoryApprovalStore()
    from mcp_server.deletion.approval.redis_store import RedisApprovalStore

    return RedisApprovalStore.from_url(redis_url)


def open_grant_store(config: McpConfig) -> GrantStore:
    """--oauth: Redis when replicas share one (revocation holds on all), else SQLite, 0600."""
    if config.redis_url is not None:
        return RedisGrantStore.from_url(config.redis_url)
    return SqliteGrantStore(config.data_dir / GRANT_DB_NAME)


def hosted(config: McpConfig) -> bool:
    """Whether approval links reach people off this machine: the approver must sign in.

    A loopback bind is not enough to tell: behind a reverse proxy on the same machine, a public
    URL or an allowed host name that is not loopback means the page is served to the world.
    """
    if config.transport == "stdio":
        return False
    public_host = urlsplit(config.public_url).hostname if config.public_url else None
    names = [config.host, *config.allowed_hosts, *([public_host] if public_host else [])]
    return config.multi_tenant or not all(is_loopback(_host_only(name)) for name in names)


def _host_only(name: str) -> str:
    """`mcp.example.com:443` -> `mcp.example.com`; `[::1]:8000` -> `::1` (allowed-host form)."""
    if name.startswith("["):
        return name[1 : name.index("]")] if "]" in name else name
    return name.rsplit(":", 1)[0] if name.count(":") == 1 else name


def member_check(factory: ApiFactory) -> MemberCheck:
    """Proves, with the presented key, that the pending entry is on that key's team's list."""

    async def check(key: str, approval: Approval) -> str | None:
        by_url = approval.url is not None
        try:
            async with factory.open(key) as client:
                target = await find_delete_target(
                    client, None if by_url else approval.entry_id, approval.url
                )
        except (ToolError, DncError):
            return None
        return approver_fingerprint(key) if target.entry_id == approval.entry_id else None

    return check


@asynccontextmanager
async def open_server(
    config: McpConfig,
    *,
    clock: Clock = time.time,
    sleep: Sleep = anyio.sleep,
    backend: Backend | None = None,
    rate_limits: Mapping[str, int] | None = None,
    poll_s: float = 0.25,
) -> AsyncIterator[Running]:
    """A ready MCP server for `config`; the backend, clients and store close on exit.

    The overrides are for tests, the demo and benchmarks: `backend` replaces the one `config`
    names (e.g. a reference server in-process), `rate_limits` the client's pacing budgets, and
    `poll_s` how often a waiting approval is looked at.
    """
    limits = dict(rate_limits or BUCKET_LIMITS)
    async with AsyncExitStack() as stack:
        if backend is not None:
            pass
        elif config.base_url is None:
            backend = await stack.enter_async_context(
                embedded_backend(config.data_dir, rate_window_s=config.rate_window_s)
            )
        else:
            backend = await stack.enter_async_context(
                remote_backend(config.base_url, config.api_key or "")
            )
        directory = TeamDirectory()
        vault = KeyVault(clock=clock)
        factory = ApiFactory(
            backend.base_url,
            transport=backend.transport,
            pacing=PacingStates(limits, config.rate_window_s),
            max_wait_s=config.max_wait_s,
            clock=clock,
            sleep=sleep,
            directory=directory,
        )
        stack.push_async_callback(factory.aclose)
        api: DncApi
        tenancy: Tenancy
        client: AsyncDncClient | None = None
        if config.multi_tenant:
            api = RequestScopedApi(factory)
            tenancy = MultiTenant(directory)

            def open_api(approval: Approval) -> AbstractAsyncContextManager[DncApi] | None:
                key = vault.key_for(approval.id)
                return factory.open(key) if key is not None else None

        else:
            client = await stack.enter_async_context(
                AsyncDncClient(
                    backend.base_url,
                    backend.api_key,
                    transport=DeadKeyGuard(backend.transport),  # a 401 stops a bulk tool
                    rate_limits=limits,
                    rate_window_s=config.rate_window_s,
                    max_wait_s=config.max_wait_s,
                    clock=clock,
                    sleep=sleep,
                )
            )
            fingerprint = key_fingerprint(backend.api_key)
            api = LearningApi(client, fingerprint, directory)
            tenancy = SingleTenant(fingerprint, directory)
            single_api = api

            def open_api(approval: Approval) -> AbstractAsyncContextManager[DncApi] | None:
                return contextlib.nullcontext(single_api)

        store = open_store(config.redis_url)
        stack.push_async_callback(store.aclose)
        audit = AuditLog(config.audit_path, clock, context=tenancy.audit_fields)
        approvals = ApprovalService(
            store=store,
            vault=vault,
            audit=audit,
            open_api=open_api,
            clock=clock,
            ttl_s=config.approval_ttl_s,
            poll_s=poll_s,
        )
        if hosted(config):
            approvals.sign_in = SignIn(
                check_member=member_check(factory), clock=clock, secret=config.state_secret
            )
        flow = DeleteFlow(
            api=api,
            audit=audit,
            tokens=ConfirmationTokens(clock=clock, ttl_s=config.token_ttl_s),
            clock=clock,
            approvals=approvals,
            tenancy=tenancy,
            policy=DeletePolicy(
                confirm_with_token=config.confirm_with_token,
                prefer_url_elicitation=config.prefer_url_elicitation,
            ),
        )
        deps = ToolDeps(api=api, audit=audit, deletion=flow, tenancy=tenancy)
        grants = open_grant_store(config) if config.oauth else None
        if grants is not None:
            stack.push_async_callback(grants.aclose)
        sealing = RequestStateSecurity(keys=[config.state_secret]) if config.state_secret else None
        yield Running(
            server=build_server(deps, mode=config.mode, request_state_security=sealing),
            deps=deps,
            backend=backend,
            approvals=approvals,
            multi_tenant=config.multi_tenant,
            offers_delete=config.mode is ToolMode.FULL,
            client=client,
            grants=grants,
        )
