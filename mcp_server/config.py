"""Runtime configuration of `dnc mcp`, from the command line and the environment."""

from __future__ import annotations

import argparse
import enum
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dnc_client import DEFAULT_MAX_WAIT_S
from dnc_kit.contract import DEFAULT_WINDOW_S
from dnc_kit.redaction import redact_url
from dnc_kit.settings import (
    SettingsError,
    default_data_dir,
    non_negative_seconds,
    positive_seconds,
    read_environment,
)
from dnc_kit.settings import redis_url as check_redis_url
from mcp_server.access import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MAX_SESSIONS_PER_CREDENTIAL,
    DEFAULT_SESSION_IDLE_S,
)
from mcp_server.deletion.approval import DEFAULT_APPROVAL_TTL_S
from mcp_server.deletion.tokens import DEFAULT_TOKEN_TTL_S
from mcp_server.errors import ConfigError

__all__ = ["HOST", "McpConfig", "ToolMode", "default_data_dir", "is_loopback", "parse_config"]

HOST = "127.0.0.1"  # the default: loopback only


class ToolMode(enum.Enum):
    """Which tools are offered."""

    FULL = "full"
    NO_DELETE = "no-delete"  # everything but dnc_delete
    READ_ONLY = "read-only"  # dnc_check, dnc_check_many and dnc_list only


@dataclass(frozen=True, kw_only=True)
class McpConfig:
    base_url: str | None  # None: the embedded reference backend
    api_key: str | None
    data_dir: Path
    audit_path: Path
    mode: ToolMode = ToolMode.FULL
    transport: Literal["stdio", "streamable-http"] = "stdio"
    port: int = 8000
    rate_window_s: float = DEFAULT_WINDOW_S
    max_wait_s: float = DEFAULT_MAX_WAIT_S
    token_ttl_s: float = DEFAULT_TOKEN_TTL_S
    host: str = HOST
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    public_url: str | None = None  # where humans reach the approval page (default: host:port)
    stateless: bool = False
    redis_url: str | None = None  # shared pending approvals for replicas
    state_secret: str | None = None  # shared requestState key for replicas
    confirm_with_token: bool = False
    prefer_url_elicitation: bool = False
    approval_ttl_s: float = DEFAULT_APPROVAL_TTL_S
    approval_port: int = 0  # stdio mode: the approval page's loopback port (0: any free one)
    mcp_token: str | None = None  # single-team HTTP: the bearer callers must send
    max_sessions: int = DEFAULT_MAX_SESSIONS  # open MCP sessions in total
    max_sessions_per_credential: int = DEFAULT_MAX_SESSIONS_PER_CREDENTIAL
    session_idle_s: float = DEFAULT_SESSION_IDLE_S  # a session idle this long is closed
    oauth: bool = False  # be an OAuth 2.1 authorization server for /mcp (mcp_server.oauth)
    oauth_secret: str | None = None  # seals team keys at rest (DNC_MCP_OAUTH_SECRET)
    oauth_previous_secrets: tuple[str, ...] = ()  # retired secrets, still opened

    @property
    def multi_tenant(self) -> bool:
        """One HTTP server for many teams: each request brings its own key."""
        return (
            self.transport == "streamable-http" and self.base_url is not None and not self.api_key
        )

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        token = "set" if self.mcp_token else "unset"
        return (
            f"McpConfig(base_url={redact_url(self.base_url) if self.base_url else None!r},"
            f" api_key={key},"
            f" mcp_token={token}, mode={self.mode.value},"
            f" transport={self.transport}, host={self.host!r}, multi_tenant={self.multi_tenant},"
            f" redis={'set' if self.redis_url else 'unset'}, audit_path={str(self.audit_path)!r})"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dnc mcp",
        description=(
            "Serve the DNC list as MCP tools. Talks to DNC_BASE_URL with DNC_API_KEY; without"
            " DNC_BASE_URL it serves an embedded reference backend (SQLite in the user data dir)."
        ),
    )
    parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    parser.add_argument("--host", default=HOST, help="streamable-http address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="streamable-http port (0: any free port)"
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow --host to be a non-loopback address (then --allowed-hosts is required)",
    )
    parser.add_argument(
        "--allowed-hosts",
        action="append",
        default=[],
        help="Host header values to accept, comma-separated, e.g. mcp.example.com (DNS rebinding)",
    )
    parser.add_argument(
        "--allowed-origins",
        action="append",
        default=[],
        help="Origin header values to accept, comma-separated, e.g. https://app.example.com",
    )
    parser.add_argument(
        "--public-url",
        help="base URL where humans reach this server's approval page (required off loopback)",
    )
    parser.add_argument(
        "--stateless",
        action="store_true",
        help="streamable HTTP without sessions, for replicas behind a load balancer",
    )
    parser.add_argument(
        "--redis-url",
        help="Redis shared by replicas for pending approvals (DNC_MCP_REDIS_URL); no key is stored",
    )
    parser.add_argument(
        "--confirm-with-token",
        action="store_true",
        help=(
            "WEAKER: for clients without elicitation, confirm deletes with a token the model"
            " relays instead of the approval page"
        ),
    )
    parser.add_argument(
        "--prefer-url-elicitation",
        action="store_true",
        help="ask on the approval page (URL elicitation) even when the client also takes forms",
    )
    parser.add_argument(
        "--approval-ttl",
        type=float,
        default=DEFAULT_APPROVAL_TTL_S,
        help="how long an approval request stays open, in seconds",
    )
    parser.add_argument(
        "--approval-port",
        type=int,
        default=0,
        help="stdio mode: loopback port of the approval page (default: any free port)",
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--read-only", action="store_true", help="offer only dnc_check, dnc_check_many, dnc_list"
    )
    modes.add_argument("--no-delete", action="store_true", help="offer everything but dnc_delete")
    parser.add_argument("--audit-log", type=Path, help="JSONL audit log (DNC_MCP_AUDIT_LOG)")
    parser.add_argument("--data-dir", type=Path, help="embedded backend data (DNC_DATA_DIR)")
    parser.add_argument(
        "--rate-window",
        help=f"rate-limit window in seconds (DNC_RATE_WINDOW_S, default {DEFAULT_WINDOW_S:g})",
    )
    parser.add_argument(
        "--max-wait",
        help=f"longest wait for rate limits in seconds (default {DEFAULT_MAX_WAIT_S:g})",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=DEFAULT_MAX_SESSIONS,
        help=f"streamable-http: open MCP sessions in total (default {DEFAULT_MAX_SESSIONS})",
    )
    parser.add_argument(
        "--max-sessions-per-credential",
        type=int,
        default=DEFAULT_MAX_SESSIONS_PER_CREDENTIAL,
        help=(
            "streamable-http: open MCP sessions per key or token"
            f" (default {DEFAULT_MAX_SESSIONS_PER_CREDENTIAL})"
        ),
    )
    parser.add_argument(
        "--session-idle-timeout",
        type=float,
        default=DEFAULT_SESSION_IDLE_S,
        help=(
            "streamable-http: close a session without requests for this many seconds"
            f" (default {DEFAULT_SESSION_IDLE_S:g})"
        ),
    )
    parser.add_argument(
        "--oauth",
        action="store_true",
        help=(
            "streamable-http: be an OAuth 2.1 authorization server (consent page, scopes);"
            " needs DNC_MCP_OAUTH_SECRET. Clients that send headers may still send a team key"
        ),
    )
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=DEFAULT_TOKEN_TTL_S,
        help="delete confirmation token lifetime in seconds",
    )
    return parser


def parse_config(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> McpConfig:
    """Build the configuration; argparse exits on bad flags, ConfigError on bad settings."""
    args = _parser().parse_args(list(argv))
    try:  # flag > environment > default, each value checked once by dnc_kit.settings
        env = read_environment(environ)
        window = (
            env.window_s
            if args.rate_window is None
            else positive_seconds(args.rate_window, "--rate-window")
        )
        max_wait = (
            (DEFAULT_MAX_WAIT_S if env.mcp_max_wait_s is None else env.mcp_max_wait_s)
            if args.max_wait is None
            else non_negative_seconds(args.max_wait, "--max-wait")
        )
    except SettingsError as error:
        raise ConfigError(str(error)) from None
    base_url, api_key = env.base_url, env.api_key
    if base_url is not None and api_key is None and args.transport != "streamable-http":
        raise ConfigError(
            "DNC_BASE_URL is set but DNC_API_KEY is not: set the team's API key (or serve many"
            " teams with --transport streamable-http, each request bringing its own key)"
        )
    data_dir = args.data_dir or env.data_dir
    audit_path = args.audit_log or env.mcp_audit_log or data_dir / "mcp-audit.jsonl"
    if args.token_ttl <= 0:
        raise ConfigError("--token-ttl must be positive")
    if not 0 <= args.port < 65536:
        raise ConfigError("--port must be 0-65535 (0: any free port, logged at start)")
    if not 0 <= args.approval_port < 65536:
        raise ConfigError("--approval-port must be 0-65535")
    if args.approval_ttl <= 0:
        raise ConfigError("--approval-ttl must be positive")
    allowed_hosts = _listed(args.allowed_hosts)
    allowed_origins = _listed(args.allowed_origins)
    if not is_loopback(args.host):
        if not args.allow_non_loopback:
            raise ConfigError(
                f"--host {args.host} is not a loopback address: add --allow-non-loopback, with"
                " --allowed-hosts (and --allowed-origins for browser clients) and --public-url"
            )
        if not allowed_hosts:
            raise ConfigError("--allow-non-loopback needs --allowed-hosts (the names clients use)")
        if not args.public_url:
            raise ConfigError("--allow-non-loopback needs --public-url (for approval links)")
    if args.public_url and not args.public_url.startswith(("http://", "https://")):
        raise ConfigError("--public-url must start with http:// or https://")
    if args.stateless and args.transport != "streamable-http":
        raise ConfigError("--stateless applies to --transport streamable-http only")
    if args.max_sessions < 1 or args.max_sessions_per_credential < 1:
        raise ConfigError("--max-sessions and --max-sessions-per-credential must be at least 1")
    if not args.session_idle_timeout > 0:
        raise ConfigError("--session-idle-timeout must be a positive number of seconds")
    mcp_token = env.mcp_token
    if mcp_token is not None and any(c.isspace() for c in mcp_token):
        raise ConfigError("DNC_MCP_TOKEN must not contain whitespace (it is sent as a bearer)")
    if args.transport == "streamable-http":
        single_team = base_url is None or api_key is not None
        if mcp_token is not None and not single_team:
            raise ConfigError(
                "DNC_MCP_TOKEN is for a single-team server (DNC_API_KEY set); a multi-team"
                " server takes each team's own DNC API key: unset DNC_MCP_TOKEN, or set"
                " DNC_API_KEY to serve one team"
            )
        if single_team and mcp_token is None and not is_loopback(args.host):
            raise ConfigError(
                f"--host {args.host} is not a loopback address: a single-team server there needs"
                " DNC_MCP_TOKEN, the bearer its callers must send (e.g. 32 random bytes, hex)"
            )
    state_secret = env.mcp_state_secret
    oauth_secret, oauth_previous = _oauth_secrets(
        args.oauth,
        args.transport,
        args.public_url,
        env.mcp_oauth_secret,
        env.mcp_oauth_secret_previous,
    )
    try:
        redis_url = check_redis_url(args.redis_url, "--redis-url") if args.redis_url else None
    except SettingsError as error:
        raise ConfigError(str(error)) from None
    redis_url = redis_url or env.mcp_redis_url
    mode = (
        ToolMode.READ_ONLY
        if args.read_only
        else ToolMode.NO_DELETE
        if args.no_delete
        else ToolMode.FULL
    )
    return McpConfig(
        base_url=base_url,
        api_key=api_key,
        data_dir=data_dir,
        audit_path=audit_path,
        mode=mode,
        transport=args.transport,
        port=args.port,
        rate_window_s=window,
        max_wait_s=max_wait,
        token_ttl_s=args.token_ttl,
        host=args.host,
        allowed_hosts=allowed_hosts,
        allowed_origins=allowed_origins,
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        stateless=args.stateless,
        redis_url=redis_url,
        state_secret=state_secret,
        confirm_with_token=args.confirm_with_token,
        prefer_url_elicitation=args.prefer_url_elicitation,
        approval_ttl_s=args.approval_ttl,
        approval_port=args.approval_port,
        mcp_token=mcp_token,
        max_sessions=args.max_sessions,
        max_sessions_per_credential=args.max_sessions_per_credential,
        session_idle_s=args.session_idle_timeout,
        oauth=args.oauth,
        oauth_secret=oauth_secret,
        oauth_previous_secrets=oauth_previous,
    )


OAUTH_SECRET_MIN_BYTES = 32


def _oauth_secrets(
    oauth: bool, transport: str, public_url: str | None, secret: str | None, previous: str | None
) -> tuple[str | None, tuple[str, ...]]:
    """The OAuth server secret and its grace list, checked; (None, ()) without --oauth."""
    if not oauth:
        return None, ()
    if transport != "streamable-http":
        raise ConfigError("--oauth applies to --transport streamable-http only")
    if secret is None:
        raise ConfigError(
            "--oauth needs DNC_MCP_OAUTH_SECRET (at least 32 bytes, e.g. 32 random bytes, hex):"
            " it seals the team keys that grants hold"
        )
    retired = tuple(s.strip() for s in (previous or "").split(",") if s.strip())
    for name, value in [("DNC_MCP_OAUTH_SECRET", secret)] + [
        ("DNC_MCP_OAUTH_SECRET_PREVIOUS", s) for s in retired
    ]:
        if len(value.encode()) < OAUTH_SECRET_MIN_BYTES:
            raise ConfigError(f"{name} must be at least {OAUTH_SECRET_MIN_BYTES} bytes")
    if public_url is not None and public_url.startswith("http://"):
        host = public_url.removeprefix("http://").split("/")[0].rsplit(":", 1)[0]
        if host not in ("localhost", "127.0.0.1", "[::1]"):
            raise ConfigError("--oauth needs an https:// --public-url off loopback (RFC 8414)")
    return secret, retired


def _listed(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip().lower() for value in values for v in value.split(",") if v.strip())
