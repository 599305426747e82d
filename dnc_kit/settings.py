"""The one reader of every shared `DNC_*` environment variable.

Every command (`dnc serve`, `dnc mcp`, `dnc conformance`, the CLI) builds its settings the same
way, with one precedence: **a command-line flag, then the environment, then the default**.
`read_environment()` reads the environment once into a frozen `Environment`; a command applies
its flags on top with the same validators (`positive_seconds`, `http_url`, ...), so a bad value
gets the same one-line `SettingsError` whether it came from a flag or a variable. The message
names the variable (or flag) and what it must be, and never echoes a secret.

Variables (the hosted MCP server's ones start with `DNC_MCP_`):

    DNC_BASE_URL              the deployment the client, CLI, MCP server and suite talk to
    DNC_API_KEY               team A's key for that deployment
    DNC_SECOND_TEAM_API_KEY   a key of another team (the suite's isolation checks)
    DNC_RATE_WINDOW_S         the rolling rate-limit window, seconds (default: the spec's)
    DNC_DATA_DIR              the local list's folder (alias: DNC_MCP_DATA_DIR, its old name)
    DNC_DB                    the reference server's SQLite file
    DNC_DATABASE_URL          PostgreSQL for the reference server (postgresql://...)
    DNC_REDIS_URL             Redis for the reference server's limits and cache
    DNC_API_KEYS              the reference server's keys, key1:team_a,key2:team_b
    DNC_CLOCK_SKEW_S          the suite's tolerance for a deployment's clock, seconds
    DNC_FINGERPRINT_KEY       the secret that keys fingerprints (replicas share one)
    DNC_MCP_TOKEN             the bearer a single-team `dnc mcp` HTTP server requires
    DNC_MCP_REDIS_URL         Redis shared by `dnc mcp` replicas (pending approvals)
    DNC_MCP_STATE_SECRET      seals the MCP SDK's request state across replicas (>= 32 bytes)
    DNC_MCP_AUDIT_LOG         the MCP server's JSONL audit log
    DNC_MCP_MAX_WAIT_S        the longest an MCP tool waits out a rate limit, seconds
    DNC_MCP_OAUTH_SECRET      `dnc mcp --oauth`: seals team keys at rest (>= 32 bytes); its
                              _PREVIOUS twin lists retired secrets still opened (comma-separated)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import platformdirs

from dnc_kit.contract import DEFAULT_WINDOW_S
from dnc_kit.redaction import redact_url

__all__ = [
    "APP_NAME",
    "DATA_DIR_ALIASES",
    "DATA_DIR_ENV",
    "MIN_STATE_SECRET_BYTES",
    "Environment",
    "SettingsError",
    "default_data_dir",
    "http_url",
    "non_negative_seconds",
    "positive_seconds",
    "postgres_url",
    "read_environment",
    "redis_url",
]

APP_NAME: Final = "dnc-kit"
DATA_DIR_ENV: Final = "DNC_DATA_DIR"
# Older releases read the data dir under an MCP-specific name; it still works.
DATA_DIR_ALIASES: Final = ("DNC_MCP_DATA_DIR",)
MIN_STATE_SECRET_BYTES: Final = 32

_PG_SCHEMES: Final = ("postgresql://", "postgres://")
_REDIS_SCHEMES: Final = ("redis://", "rediss://", "unix://")
_HTTP_SCHEMES: Final = ("http://", "https://")

_Check = Callable[[str, str], str]
_SecondsCheck = Callable[[str, str], float]


class SettingsError(ValueError):
    """A setting cannot be used. `str()` is one line naming the setting and what it must be."""

    def __init__(self, name: str, requirement: str = "") -> None:
        self.name = name
        super().__init__(f"{name} {requirement}".rstrip())


def default_data_dir() -> Path:
    """The platform's user data folder for dnc-kit (the local list, its key, its audit)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def positive_seconds(raw: str | float, name: str) -> float:
    """A finite number of seconds above zero (a zero window would divide every limit by zero)."""
    value = _seconds(raw, name)
    if not value > 0:
        raise SettingsError(name, f"must be a positive number of seconds, got {_shown(raw)}")
    return value


def non_negative_seconds(raw: str | float, name: str) -> float:
    value = _seconds(raw, name)
    if value < 0:
        raise SettingsError(name, f"must be zero or more seconds, got {_shown(raw)}")
    return value


def http_url(raw: str, name: str) -> str:
    if not raw.startswith(_HTTP_SCHEMES):
        raise SettingsError(name, f"must start with http:// or https://, got {_shown_url(raw)}")
    return raw


def postgres_url(raw: str, name: str) -> str:
    if not raw.startswith(_PG_SCHEMES):
        raise SettingsError(name, "must start with postgresql:// or postgres://")
    return raw


def redis_url(raw: str, name: str) -> str:
    if not raw.startswith(_REDIS_SCHEMES):
        raise SettingsError(name, "must start with redis://, rediss:// or unix://")
    return raw


def _seconds(raw: str | float, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number of seconds, got {_shown(raw)}") from None
    if not math.isfinite(value):
        raise SettingsError(name, f"must be a finite number of seconds, got {_shown(raw)}")
    return value


def _shown(raw: str | float) -> str:
    text = str(raw)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _shown_url(raw: str) -> str:
    return repr(redact_url(raw)[:80])


@dataclass(frozen=True, kw_only=True)
class Environment:
    """The shared settings as the environment gives them; None means "not set"."""

    base_url: str | None = None
    api_key: str | None = None
    second_api_key: str | None = None
    rate_window_s: float | None = None
    data_dir: Path
    db_path: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    api_keys: str | None = None
    clock_skew_s: float | None = None
    fingerprint_key: str | None = None
    mcp_token: str | None = None
    mcp_redis_url: str | None = None
    mcp_state_secret: str | None = None
    mcp_audit_log: Path | None = None
    mcp_max_wait_s: float | None = None
    mcp_oauth_secret: str | None = None
    mcp_oauth_secret_previous: str | None = None

    @property
    def window_s(self) -> float:
        """The rate-limit window in force: the environment's, else the spec's."""
        return DEFAULT_WINDOW_S if self.rate_window_s is None else self.rate_window_s

    def __repr__(self) -> str:
        # Keys, tokens and secrets are only ever shown as set or unset.
        def set_or_unset(value: object) -> str:
            return "set" if value else "unset"

        return (
            f"Environment(base_url={self.base_url and redact_url(self.base_url)!r},"
            f" api_key={set_or_unset(self.api_key)},"
            f" second_api_key={set_or_unset(self.second_api_key)},"
            f" rate_window_s={self.rate_window_s!r}, data_dir={str(self.data_dir)!r},"
            f" database_url={self.database_url and redact_url(self.database_url)!r},"
            f" redis_url={self.redis_url and redact_url(self.redis_url)!r},"
            f" api_keys={set_or_unset(self.api_keys)}, mcp_token={set_or_unset(self.mcp_token)})"
        )


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """Read and check every shared variable; raises SettingsError naming the first bad one.

    An empty or whitespace-only variable counts as unset, as shells leave `VAR=` behind.
    """
    env = os.environ if environ is None else environ

    def text(name: str) -> str | None:
        return env.get(name, "").strip() or None

    def checked(name: str, check: _Check) -> str | None:
        raw = text(name)
        return None if raw is None else check(raw, name)

    def seconds(name: str, check: _SecondsCheck) -> float | None:
        raw = text(name)
        return None if raw is None else check(raw, name)

    data_dir = text(DATA_DIR_ENV)
    for alias in DATA_DIR_ALIASES:
        data_dir = data_dir or text(alias)
    state_secret = text("DNC_MCP_STATE_SECRET")
    if state_secret is not None and len(state_secret.encode()) < MIN_STATE_SECRET_BYTES:
        raise SettingsError(
            "DNC_MCP_STATE_SECRET", f"must be at least {MIN_STATE_SECRET_BYTES} bytes"
        )
    audit_log = text("DNC_MCP_AUDIT_LOG")
    return Environment(
        base_url=checked("DNC_BASE_URL", http_url),
        api_key=text("DNC_API_KEY"),
        second_api_key=text("DNC_SECOND_TEAM_API_KEY"),
        rate_window_s=seconds("DNC_RATE_WINDOW_S", positive_seconds),
        data_dir=Path(data_dir) if data_dir else default_data_dir(),
        db_path=text("DNC_DB"),
        database_url=checked("DNC_DATABASE_URL", postgres_url),
        redis_url=checked("DNC_REDIS_URL", redis_url),
        api_keys=text("DNC_API_KEYS"),
        clock_skew_s=seconds("DNC_CLOCK_SKEW_S", non_negative_seconds),
        fingerprint_key=text("DNC_FINGERPRINT_KEY"),
        mcp_token=text("DNC_MCP_TOKEN"),
        mcp_redis_url=checked("DNC_MCP_REDIS_URL", redis_url),
        mcp_state_secret=state_secret,
        mcp_audit_log=Path(audit_log) if audit_log else None,
        mcp_max_wait_s=seconds("DNC_MCP_MAX_WAIT_S", non_negative_seconds),
        mcp_oauth_secret=text("DNC_MCP_OAUTH_SECRET"),
        mcp_oauth_secret_previous=text("DNC_MCP_OAUTH_SECRET_PREVIOUS"),
    )
