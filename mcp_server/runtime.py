"""Wiring: configuration -> backend -> API client -> tool dependencies -> MCP server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import anyio
from mcp.server import MCPServer

from dnc_client import AsyncDncClient
from dnc_client.pacing import Clock, Sleep
from mcp_server.audit import AuditLog
from mcp_server.config import McpConfig
from mcp_server.confirm import ConfirmationTokens
from mcp_server.embedded import Backend, embedded_backend, remote_backend
from mcp_server.server import build_server
from mcp_server.tools import ToolDeps

__all__ = ["Running", "open_server"]


@dataclass(frozen=True)
class Running:
    server: MCPServer
    deps: ToolDeps
    backend: Backend


@asynccontextmanager
async def open_server(
    config: McpConfig, *, clock: Clock = time.time, sleep: Sleep = anyio.sleep
) -> AsyncIterator[Running]:
    """A ready MCP server for `config`; the backend and HTTP client close on exit."""
    async with AsyncExitStack() as stack:
        if config.base_url is None:
            backend = await stack.enter_async_context(
                embedded_backend(config.data_dir, rate_window_s=config.rate_window_s)
            )
        else:
            assert config.api_key is not None
            backend = await stack.enter_async_context(
                remote_backend(config.base_url, config.api_key)
            )
        api = await stack.enter_async_context(
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
        deps = ToolDeps(
            api=api,
            audit=AuditLog(config.audit_path, clock),
            tokens=ConfirmationTokens(clock=clock, ttl_s=config.token_ttl_s),
        )
        yield Running(server=build_server(deps, mode=config.mode), deps=deps, backend=backend)
