"""The HTTP side of `dnc mcp`: the streamable HTTP app (MCP at /mcp, the approval page beside
it) and, for stdio mode, the approval page alone on a loopback port.

Both are served by uvicorn in this process. The allow-lists: Host and Origin headers must name
this server (DNS-rebinding protection stays on for every address); off loopback, only the
configured `--allowed-hosts` / `--allowed-origins` are accepted.
"""

from __future__ import annotations

import hmac
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Literal

from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.types import ASGIApp

from dnc_client import DncError, PermissionDeniedError, RateLimitError, operations
from dnc_kit import serving as edge
from mcp_server.access import (
    AccessMiddleware,
    ApiKeyVerifier,
    Authenticator,
    KeyProbe,
    SessionLimits,
    StaticBearers,
)
from mcp_server.config import McpConfig, is_loopback
from mcp_server.deletion.approval import ApprovalService, PageSecurity, approval_routes
from mcp_server.deletion.approval.security import origin_of
from mcp_server.errors import RequestKeyRejected
from mcp_server.oauth import (
    CONSENT_PATH,
    DncOAuthProvider,
    KeySealer,
    OAuthAuthenticator,
    ScopeGate,
    oauth_routes,
)
from mcp_server.runtime import Running
from mcp_server.tenancy import RequestScopedApi, key_fingerprint

__all__ = [
    "MCP_PATH",
    "access_control",
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


def key_probe(running: Running) -> KeyProbe:
    """Whether a presented team key is good: asked of the API (many teams), or compared in
    constant time with the server's own key (one team)."""
    if not running.multi_tenant:
        own = running.backend.api_key.encode()

        async def same_key(key: str) -> Literal["valid", "unknown", "unavailable"]:
            return "valid" if own and hmac.compare_digest(key.encode(), own) else "unknown"

        return same_key
    api = running.deps.api
    assert isinstance(api, RequestScopedApi)
    factory = api.factory

    async def probe(key: str) -> Literal["valid", "unknown", "unavailable"]:
        try:  # the cheapest read there is; a refusal is a 401 (or 403) whatever the list
            await factory.call(key, operations.list_page(1, 0))
        except (RequestKeyRejected, PermissionDeniedError):
            return "unknown"
        except RateLimitError:
            return "valid"  # limits are per team: only a key the API knows has one
        except DncError:
            return "unavailable"
        return "valid"

    return probe


def access_control(running: Running, config: McpConfig) -> Authenticator:
    """Who may call /mcp: a team key the API accepts (multi-team), else the server's bearer.

    Single-team: DNC_MCP_TOKEN when set (then the team's key is not a bearer: clients never
    need the upstream key), else, on loopback only (`parse_config` insists), the team's key.
    """
    if running.multi_tenant:
        api = running.deps.api
        assert isinstance(api, RequestScopedApi)
        factory = api.factory
        verifier = ApiKeyVerifier(key_probe(running), key_fingerprint)
        factory.on_rejected = verifier.reject
        return verifier
    if config.mcp_token is not None:
        return StaticBearers([("mcp-token", config.mcp_token)], key_fingerprint)
    return StaticBearers([("team-key", running.backend.api_key)], key_fingerprint)


def build_http_app(running: Running, config: McpConfig, port: int) -> AccessMiddleware:
    """/mcp behind `access_control` and the session caps, and /approve/{id} beside it."""
    app = running.server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=config.stateless,
        transport_security=transport_security(config),
        host=config.host,
        max_sessions=config.max_sessions,
        session_idle_timeout=config.session_idle_s,
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
    sessions = SessionLimits(config.max_sessions_per_credential, config.session_idle_s)
    authenticator = access_control(running, config)
    if not config.oauth:
        return AccessMiddleware(app, authenticator, path=MCP_PATH, sessions=sessions)
    provider = oauth_provider(running, config, running.approvals.base_url)
    app.router.routes.extend(oauth_routes(provider, security, key_probe(running)))
    metadata_url = f"{running.approvals.base_url}/.well-known/oauth-protected-resource{MCP_PATH}"
    oauth = OAuthAuthenticator(
        provider,
        resource_url=provider.resource_url,
        fingerprint=key_fingerprint,
        fallback=authenticator,  # the API-key header stays for clients that send headers
    )
    if running.approvals.sign_in is not None:  # an approver may sign in with a dnc:delete token
        running.approvals.sign_in.oauth = provider
    logger.info(
        "OAuth: authorization server %s for resource %s (consent page %s%s)",
        provider.issuer_url,
        provider.resource_url,
        provider.issuer_url,
        CONSENT_PATH,
    )
    return AccessMiddleware(
        ScopeGate(app, resource_metadata_url=metadata_url),
        oauth,
        path=MCP_PATH,
        sessions=sessions,
        resource_metadata_url=metadata_url,
    )


def oauth_provider(running: Running, config: McpConfig, base_url: str) -> DncOAuthProvider:
    """`--oauth`: this server as the authorization server of its own /mcp resource."""
    assert running.grants is not None
    assert config.oauth_secret is not None
    return DncOAuthProvider(
        running.grants,
        KeySealer(config.oauth_secret, config.oauth_previous_secrets),
        issuer_url=base_url,
        resource_url=f"{base_url}{MCP_PATH}",
        consent_path=CONSENT_PATH,
        fingerprint=key_fingerprint,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: a free port), so the port is known before serving."""
    return edge.bind_socket(host, port)


async def serve_app(app: ASGIApp, sock: socket.socket, ready_message: str | None = None) -> None:
    """`app` in the foreground on a bound socket, behind `dnc_kit.serving`'s edge (uvicorn
    handles SIGINT/SIGTERM); logs through ours (stderr), no access log. Once it accepts
    connections, `ready_message` is logged, then the readiness line names the MCP endpoint."""

    def ready(_url: str) -> None:
        if ready_message is not None:
            logger.info("%s", ready_message)

    # The SDK logs a client that left mid-body as an error with a traceback, and answers 500
    # to no one: it is neither.
    edge.quiet_client_disconnects("mcp.server.streamable_http")
    await edge.serve(app, sock, path=MCP_PATH, on_ready=ready, lifespan="auto")


@asynccontextmanager
async def serving(app: ASGIApp, sock: socket.socket) -> AsyncIterator[None]:
    """`app` served in the background on `sock` until the block ends."""
    async with edge.serving(app, sock):
        yield


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
