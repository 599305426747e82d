"""Runtime configuration of `dnc mcp`, from the command line and the environment."""

from __future__ import annotations

import argparse
import enum
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dnc_client.retry import DEFAULT_MAX_WAIT_S
from dnc_client.spec import DEFAULT_WINDOW_S
from mcp_server.deletion.approval import DEFAULT_APPROVAL_TTL_S
from mcp_server.deletion.tokens import DEFAULT_TOKEN_TTL_S
from mcp_server.errors import ConfigError
from reference_server.local import default_data_dir  # one data dir for `dnc mcp` and the CLI

__all__ = ["HOST", "McpConfig", "ToolMode", "default_data_dir", "is_loopback", "parse_config"]

HOST = "127.0.0.1"  # the default: loopback only
MIN_STATE_SECRET_BYTES = 32


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

    @property
    def multi_tenant(self) -> bool:
        """One HTTP server for many teams: each request brings its own key."""
        return (
            self.transport == "streamable-http" and self.base_url is not None and not self.api_key
        )

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return (
            f"McpConfig(base_url={self.base_url!r}, api_key={key}, mode={self.mode.value},"
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
    parser.add_argument("--port", type=int, default=8000, help="streamable-http port")
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
    parser.add_argument("--data-dir", type=Path, help="embedded backend data (DNC_MCP_DATA_DIR)")
    parser.add_argument(
        "--rate-window",
        type=float,
        help=f"rate-limit window in seconds (DNC_RATE_WINDOW_S, default {DEFAULT_WINDOW_S:g})",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        help=f"longest wait for rate limits in seconds (default {DEFAULT_MAX_WAIT_S:g})",
    )
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=DEFAULT_TOKEN_TTL_S,
        help="delete confirmation token lifetime in seconds",
    )
    return parser


def _float_env(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds") from None


def parse_config(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> McpConfig:
    """Build the configuration; argparse exits on bad flags, ConfigError on bad settings."""
    env = os.environ if environ is None else environ
    args = _parser().parse_args(list(argv))
    base_url = env.get("DNC_BASE_URL", "").strip() or None
    api_key = env.get("DNC_API_KEY", "").strip() or None
    if base_url is not None and api_key is None and args.transport != "streamable-http":
        raise ConfigError(
            "DNC_BASE_URL is set but DNC_API_KEY is not: set the team's API key (or serve many"
            " teams with --transport streamable-http, each request bringing its own key)"
        )
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigError("DNC_BASE_URL must start with http:// or https://")
    data_dir = args.data_dir or (
        Path(env["DNC_MCP_DATA_DIR"]) if env.get("DNC_MCP_DATA_DIR") else default_data_dir()
    )
    audit_path = args.audit_log or (
        Path(env["DNC_MCP_AUDIT_LOG"])
        if env.get("DNC_MCP_AUDIT_LOG")
        else data_dir / "mcp-audit.jsonl"
    )
    window = args.rate_window or _float_env(env, "DNC_RATE_WINDOW_S") or DEFAULT_WINDOW_S
    max_wait = args.max_wait or _float_env(env, "DNC_MCP_MAX_WAIT_S") or DEFAULT_MAX_WAIT_S
    if window <= 0 or max_wait < 0 or args.token_ttl <= 0:
        raise ConfigError("--rate-window and --token-ttl must be positive, --max-wait >= 0")
    if not 0 < args.port < 65536:
        raise ConfigError("--port must be 1-65535")
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
    state_secret = env.get("DNC_MCP_STATE_SECRET", "").strip() or None
    if state_secret is not None and len(state_secret.encode()) < MIN_STATE_SECRET_BYTES:
        raise ConfigError(f"DNC_MCP_STATE_SECRET must be at least {MIN_STATE_SECRET_BYTES} bytes")
    redis_url = args.redis_url or env.get("DNC_MCP_REDIS_URL", "").strip() or None
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("the Redis URL must start with redis://, rediss:// or unix://")
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
    )


def _listed(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip().lower() for value in values for v in value.split(",") if v.strip())
