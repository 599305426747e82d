"""Wiring: configuration -> backend -> API client(s) -> approvals -> tool dependencies -> server.

Single-tenant (a configured or embedded key): one `AsyncDncClient` for every request.
Multi-tenant (`McpConfig.multi_tenant`): a `RequestScopedApi` that acts with each request's own
key, paced per key. Pending approvals live in memory, or in Redis with `--redis-url`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import RequestStateSecurity

from dnc_client import AsyncDncClient, PacingStates
from dnc_client.pacing import Clock, Sleep
from dnc_client.spec import BUCKET_LIMITS
from mcp_server.api import DncApi
from mcp_server.approval import (
    Approval,
    ApprovalService,
    ApprovalStore,
    KeyVault,
    MemoryApprovalStore,
)
from mcp_server.approval.service import ApiOpener
from mcp_server.audit import AuditLog
from mcp_server.config import McpConfig, ToolMode
from mcp_server.confirm import ConfirmationTokens
from mcp_server.embedded import Backend, embedded_backend, remote_backend
from mcp_server.server import build_server
from mcp_server.tenancy import (
    ApiFactory,
    LearningApi,
    MultiTenant,
    RequestScopedApi,
    SingleTenant,
    TeamDirectory,
    Tenancy,
    key_fingerprint,
)
from mcp_server.tools import DeletePolicy, ToolDeps

__all__ = ["Running", "assemble_deps", "open_server", "open_store"]


@dataclass(frozen=True)
class Running:
    server: MCPServer
    deps: ToolDeps
    backend: Backend
    approvals: ApprovalService
    multi_tenant: bool
    offers_delete: bool


def open_store(redis_url: str | None) -> ApprovalStore:
    if redis_url is None:
        return MemoryApprovalStore()
    from mcp_server.approval.redis_store import RedisApprovalStore

    return RedisApprovalStore.from_url(redis_url)


@asynccontextmanager
async def open_server(
    config: McpConfig,
    *,
    clock: Clock = time.time,
    sleep: Sleep = anyio.sleep,
    backend: Backend | None = None,
) -> AsyncIterator[Running]:
    """A ready MCP server for `config`; the backend, clients and store close on exit.

    `backend` replaces the one `config` names (tests: a reference server in-process).
    """
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
        api: DncApi
        tenancy: Tenancy
        if config.multi_tenant:
            factory = ApiFactory(
                backend.base_url,
                transport=backend.transport,
                pacing=PacingStates(BUCKET_LIMITS, config.rate_window_s),
                max_wait_s=config.max_wait_s,
                clock=clock,
                sleep=sleep,
                directory=directory,
            )
            stack.push_async_callback(factory.aclose)
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
                    transport=backend.transport,
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
        deps = assemble_deps(
            api=api,
            tenancy=tenancy,
            store=store,
            vault=vault,
            open_api=open_api,
            audit=AuditLog(config.audit_path, clock, context=tenancy.audit_fields),
            clock=clock,
            token_ttl_s=config.token_ttl_s,
            approval_ttl_s=config.approval_ttl_s,
            policy=DeletePolicy(
                confirm_with_token=config.confirm_with_token,
                prefer_url_elicitation=config.prefer_url_elicitation,
            ),
        )
        sealing = RequestStateSecurity(keys=[config.state_secret]) if config.state_secret else None
        assert deps.approvals is not None
        yield Running(
            server=build_server(deps, mode=config.mode, request_state_security=sealing),
            deps=deps,
            backend=backend,
            approvals=deps.approvals,
            multi_tenant=config.multi_tenant,
            offers_delete=config.mode is ToolMode.FULL,
        )


def assemble_deps(
    *,
    api: DncApi,
    tenancy: Tenancy,
    store: ApprovalStore,
    vault: KeyVault,
    open_api: ApiOpener,
    audit: AuditLog,
    clock: Clock,
    token_ttl_s: float,
    approval_ttl_s: float,
    policy: DeletePolicy,
    poll_s: float = 0.25,
) -> ToolDeps:
    """The tools' dependencies, approvals included (also used by `mcp_server.testing`)."""
    approvals = ApprovalService(
        store=store,
        vault=vault,
        audit=audit,
        open_api=open_api,
        clock=clock,
        ttl_s=approval_ttl_s,
        poll_s=poll_s,
    )
    return ToolDeps(
        api=api,
        audit=audit,
        tokens=ConfirmationTokens(clock=clock, ttl_s=token_ttl_s),
        approvals=approvals,
        tenancy=tenancy,
        policy=policy,
    )
