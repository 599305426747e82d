"""`dnc mcp`: serve the DNC tools over stdio (default) or streamable HTTP.

stdout belongs to the MCP protocol in stdio mode: everything human-readable goes to stderr,
and nothing logged ever contains an API key. In stdio mode the approval page is served on a
loopback port of its own; over HTTP, next to /mcp.
"""

from __future__ import annotations

import contextlib
import logging
import sys

import anyio

from mcp_server.config import McpConfig, parse_config
from mcp_server.errors import ConfigError
from mcp_server.http_app import (
    MCP_PATH,
    bind,
    build_http_app,
    public_base_url,
    serve_app,
)
from mcp_server.logs import configure_logging
from mcp_server.runtime import Running, open_server
from mcp_server.stdio_page import page_on_demand

__all__ = ["main", "serve"]

logger = logging.getLogger("mcp_server")


async def serve(config: McpConfig) -> None:
    async with open_server(config) as running:
        _describe(running, config)
        async with anyio.create_task_group() as group:
            if running.multi_tenant:
                group.start_soon(running.approvals.run_sweeper)
            if config.transport == "stdio":
                await _serve_stdio(running, config)
            else:
                sock = bind(config.host, config.port)
                port: int = sock.getsockname()[1]
                app = build_http_app(running, config, port)
                url = public_base_url(config, port)
                await serve_app(app, sock, f"streamable HTTP ready: MCP at {url}{MCP_PATH}")
            group.cancel_scope.cancel()


async def _serve_stdio(running: Running, config: McpConfig) -> None:
    if not running.offers_delete:
        await running.server.run_stdio_async()
        return
    async with page_on_demand(running.approvals, config.approval_port):
        logger.info("approval page for deletions: on 127.0.0.1, started by the first delete")
        await running.server.run_stdio_async()


def _describe(running: Running, config: McpConfig) -> None:
    if config.base_url is None:
        logger.warning(
            "DNC_BASE_URL is not set: serving the %s; its team key is stored beside it."
            " Set DNC_BASE_URL and DNC_API_KEY to use a real deployment.",
            running.backend.description,
        )
    else:
        logger.info("using the %s", running.backend.description)
    if running.multi_tenant:
        logger.info(
            "multi-tenant: every request to %s must carry 'Authorization: Bearer <the team's"
            " DNC API key>'; keys are never stored",
            MCP_PATH,
        )
    approvals = "Redis (shared by replicas)" if config.redis_url else "this process's memory"
    logger.info(
        "tools: %s mode; audit log: %s; pending approvals in %s",
        config.mode.value,
        config.audit_path,
        approvals,
    )
    if config.confirm_with_token:
        logger.warning(
            "--confirm-with-token: clients without elicitation confirm deletes with a token the"
            " model relays (weaker than the approval page)"
        )


def main(argv: list[str]) -> int:
    try:
        config = parse_config(argv)
    except ConfigError as error:
        print(f"dnc mcp: {error}", file=sys.stderr)
        return 2
    configure_logging()
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve, config)
    return 0
