"""The HTTP side of `dnc mcp`: the streamable HTTP app (MCP at /mcp, the approval page beside
it) and, for stdio mode, the approval page alone on a loopback port.

Both are served by uvicorn in this process. The allow-lists: Host and Origin headers must name
this server (DNS-rebinding protection stays on for every address); off loopback, only the
configured `--allowed-hosts` / `--allowed-origins` are accepted.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.types import ASGIApp

from mcp_server.deletion.approval import ApprovalService, PageSecurity, approval_routes
from mcp_server.deletion.approval.security import origin_of
from mcp_server.config import McpConfig, is_loopback
from mcp_server.runtime import Running
from mcp_server.tenancy import TeamKeyMiddleware

__all__ = [
    "MCP_PATH",
    "bind",
    "build_http_app",
    "loopback_names",
    "loopback_page",
    "page_security",
    "serve_app",
    "serving",
    "transport_security",
]

MCP_PATH = "/mcp"
logger = logging.getLogger("mcp_server")


def loopback_names(port: int) -> list[str]:
    return [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"]


def page_security(
    port: int,
    *,
    loopback: bool,
    public_url: str | None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
) -> PageSecurity:
    """The page answers to its own address only: the port it is on, or the public name."""
    hosts = [*(loopback_names(port) if loopback else []), *allowed_hosts]
    origins = [f"http://{host}" for host in hosts if loopback and host in loopback_names(port)]
    if public_url is not None:
        origins.append(origin_of(public_url))
    return PageSecurity(
        allowed_hosts=tuple(hosts), allowed_origins=tuple([*origins, *allowed_origins])
    )


def transport_security(config: McpConfig) -> TransportSecuritySettings:
    """DNS-rebinding protection for /mcp: loopback names by default, else the allow-lists."""
    hosts = list(config.allowed_hosts)
    origins = list(config.allowed_origins)
    if is_loopback(config.host):
        hosts += ["127.0.0.1:*", "localhost:*", "[::1]:*"]
        origins += ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def public_base_url(config: McpConfig, port: int) -> str:
    if config.public_url is not None:
        return config.public_url
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{port}"


def build_http_app(running: Running, config: McpConfig, port: int) -> ASGIApp:
    """/mcp (with a bearer key per request when multi-tenant) and /approve/{id}."""
    app = running.server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=config.stateless,
        transport_security=transport_security(config),
        host=config.host,
    )
    running.approvals.base_url = public_base_url(config, port)
    security = page_security(
        port,
        loopback=is_loopback(config.host),
        public_url=running.approvals.base_url,
        allowed_hosts=config.allowed_hosts,
        allowed_origins=config.allowed_origins,
    )
    app.router.routes.extend(approval_routes(running.approvals, security))
    return TeamKeyMiddleware(app, path=MCP_PATH) if running.multi_tenant else app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: a free port), so the port is known before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: accepted connections inherit it, and asyncio turns
    # Nagle's algorithm off only on sockets that say TCP; with 0, every keep-alive response
    # after the first waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _uvicorn(app: ASGIApp, *, background: bool) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """Says when it accepts connections; in the background it leaves signals alone."""

        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.ready = anyio.Event()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            self.ready.set()

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if background:
                yield
            else:
                with super().capture_signals():
                    yield

    return Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="auto"))


async def serve_app(app: ASGIApp, sock: socket.socket, ready_message: str) -> None:
    """uvicorn in the foreground on a bound socket (it handles SIGINT/SIGTERM); logs through
    ours (stderr), no access log; `ready_message` is logged once it accepts connections."""
    server = _uvicorn(app, background=False)

    async def announce() -> None:
        await server.ready.wait()
        logger.info("%s", ready_message)

    with sock:
        async with anyio.create_task_group() as group:
            group.start_soon(announce)
            await server.serve(sockets=[sock])
            group.cancel_scope.cancel()


@asynccontextmanager
async def serving(app: ASGIApp, sock: socket.socket) -> AsyncIterator[None]:
    """`app` served in the background on `sock` until the block ends."""
    server = _uvicorn(app, background=True)
    with sock:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            with anyio.fail_after(30):
                await server.ready.wait()
            try:
                yield
            finally:
                server.should_exit = True


@asynccontextmanager
async def loopback_page(approvals: ApprovalService, port: int = 0) -> AsyncIterator[str]:
    """stdio mode: the approval page alone on 127.0.0.1; yields its base URL."""
    sock = bind("127.0.0.1", port)
    bound: int = sock.getsockname()[1]
    security = page_security(bound, loopback=True, public_url=None)
    app = Starlette(routes=approval_routes(approvals, security))
    approvals.base_url = f"http://127.0.0.1:{bound}"
    async with serving(app, sock):
        yield approvals.base_url
