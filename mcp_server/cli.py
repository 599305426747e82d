"""`dnc mcp`: serve the DNC tools over stdio (default) or streamable HTTP on 127.0.0.1.

stdout belongs to the MCP protocol in stdio mode: everything human-readable goes to stderr,
and nothing logged ever contains the API key.
"""

from __future__ import annotations

import contextlib
import logging
import sys

import anyio
from starlette.types import ASGIApp

from mcp_server.config import HOST, McpConfig, parse_config
from mcp_server.errors import ConfigError
from mcp_server.logs import configure_logging
from mcp_server.runtime import open_server

__all__ = ["main"]

logger = logging.getLogger("mcp_server")


async def serve(config: McpConfig) -> None:
    async with open_server(config) as running:
        if config.base_url is None:
            logger.warning(
                "DNC_BASE_URL is not set: serving the %s; its team key is stored beside it."
                " Set DNC_BASE_URL and DNC_API_KEY to use a real deployment.",
                running.backend.description,
            )
        else:
            logger.info("using the %s", running.backend.description)
        logger.info("tools: %s mode; audit log: %s", config.mode.value, config.audit_path)
        if config.transport == "stdio":
            await running.server.run_stdio_async()
        else:
            await serve_http(running.server.streamable_http_app(host=HOST), config.port)


async def serve_http(app: ASGIApp, port: int) -> None:
    """uvicorn on 127.0.0.1 only, its logs through ours (stderr), no per-request access log."""
    import uvicorn

    logger.info("streamable HTTP on http://%s:%d/mcp", HOST, port)
    server_config = uvicorn.Config(app, host=HOST, port=port, log_config=None, access_log=False)
    await uvicorn.Server(server_config).serve()


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
