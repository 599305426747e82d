"""Runtime configuration of `dnc mcp`, from the command line and the environment."""

from __future__ import annotations

import argparse
import enum
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dnc_client.retry import DEFAULT_MAX_WAIT_S
from dnc_client.spec import DEFAULT_WINDOW_S
from mcp_server.confirm import DEFAULT_TOKEN_TTL_S
from mcp_server.errors import ConfigError
from reference_server.local import default_data_dir  # one data dir for `dnc mcp` and the CLI

__all__ = ["HOST", "McpConfig", "ToolMode", "default_data_dir", "parse_config"]

HOST = "127.0.0.1"  # streamable-http binds here only


class ToolMode(enum.Enum):
    """Which tools are offered."""

    FULL = "full"
    NO_DELETE = "no-delete"  # everything but dnc_delete
    READ_ONLY = "read-only"  # dnc_check and dnc_list only


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

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return (
            f"McpConfig(base_url={self.base_url!r}, api_key={key}, mode={self.mode.value},"
            f" transport={self.transport}, audit_path={str(self.audit_path)!r})"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dnc mcp",
        description=(
            "Serve the DNC list as MCP tools. Talks to DNC_BASE_URL with DNC_API_KEY; without"
            " DNC_BASE_URL it serves an embedded reference backend (SQLite in the user data dir)."
        ),
    )
    parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    parser.add_argument("--port", type=int, default=8000, help="streamable-http port (127.0.0.1)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--read-only", action="store_true", help="offer only dnc_check, dnc_list")
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
    if base_url is not None and api_key is None:
        raise ConfigError("DNC_BASE_URL is set but DNC_API_KEY is not: set the team's API key")
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
    )
