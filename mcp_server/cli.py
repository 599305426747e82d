"""`dnc mcp`: serve the DNC tools over stdio (default) or streamable HTTP.

stdout belongs to the MCP protocol in stdio mode: everything human-readable goes to stderr,
and nothing logged ever contains an API key, a token or a URL's password. In stdio mode the
approval page is served on a loopback port of its own, and a line that is not a JSON-RPC
message gets a JSON-RPC error; over HTTP, the approval page is next to /mcp, and at start the
log says which mode the server runs in (single-team or multi-team, loopback or hosted) and who
may call it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Final

import anyio

from mcp_server.config import McpConfig, is_loopback, parse_config
from mcp_server.embedded import KEY_NAME
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
from mcp_server.stdio import serve_stdio
from mcp_server.stdio_page import page_on_demand

__all__ = ["main", "serve"]

logger = logging.getLogger("mcp_server")
MIN_TOKEN_CHARS: Final = 24


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
                _describe_access(config, port, app.authenticator.describe())
                await serve_app(app, sock, f"streamable HTTP ready: MCP at {url}{MCP_PATH}")
            group.cancel_scope.cancel()


async def _serve_stdio(running: Running, config: McpConfig) -> None:
    if not running.offers_delete:
        await serve_stdio(running.server)
        return
    async with page_on_demand(running.approvals, config.approval_port):
        logger.info("approval page for deletions: on 127.0.0.1, started by the first delete")
        await serve_stdio(running.server)


def _describe(running: Running, config: McpConfig) -> None:
    if config.base_url is None:
        logger.warning(
            "DNC_BASE_URL is not set: serving the %s; its team key is stored beside it."
            " Set DNC_BASE_URL and DNC_API_KEY to use a real deployment.",
            running.backend.description,
        )
    else:
        logger.info("using the %s", running.backend.description)
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


def _describe_access(config: McpConfig, port: int, callers: str) -> None:
    """Which mode this HTTP server runs in, and who may call it: said once, at start."""
    if config.base_url is None and config.mcp_token is None:
        callers += f" (the embedded backend's, stored in {config.data_dir / KEY_NAME})"
    teams = "multi-team" if config.multi_tenant else "single-team"
    where = "loopback" if is_loopback(config.host) else "hosted"
    logger.info(
        "%s server, %s (%s:%d): every request to %s must carry 'Authorization: Bearer ...' with"
        " %s; anything else gets 401. Sessions: at most %d per credential, %d in total, closed"
        " after %g s idle%s.",
        teams,
        where,
        config.host,
        port,
        MCP_PATH,
        callers,
        config.max_sessions_per_credential,
        config.max_sessions,
        config.session_idle_s,
        " (stateless: none are kept)" if config.stateless else "",
    )
    if where == "loopback" and not config.multi_tenant:
        logger.info(
            "loopback is not private: other users and processes on this machine can connect;"
            " only a caller with that bearer is served"
        )
    if config.mcp_token is not None and len(config.mcp_token) < MIN_TOKEN_CHARS:
        logger.warning(
            "DNC_MCP_TOKEN is shorter than %d characters: a short bearer can be guessed; use"
            " e.g. 32 random bytes in hex",
            MIN_TOKEN_CHARS,
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
