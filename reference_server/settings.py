"""Runtime configuration of the reference server: one frozen value, built in code or from env.

The contract's numbers (limits per bucket, operation -> bucket, window, cache TTL, batch size)
default to what `openapi.yaml` says, through `dnc_kit.contract`; the environment is read by
`dnc_kit.settings`, the one reader every command shares.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dnc_kit.contract import (
    BATCH_MAX_ENTRIES,
    BUCKET_LIMITS,
    CACHE_TTL_S,
    DEFAULT_WINDOW_S,
    OPERATION_BUCKETS,
)
from dnc_kit.redaction import redact_url
from dnc_kit.settings import SettingsError, postgres_url, read_environment, redis_url
from reference_server.normalize import normalize_linkedin_url

__all__ = [
    "DEFAULT_OPERATION_BUCKETS",
    "DEFAULT_RATE_LIMITS",
    "ConfigError",
    "Settings",
    "parse_api_keys",
    "redact_url",
]

DEFAULT_RATE_LIMITS: Mapping[str, int] = BUCKET_LIMITS
DEFAULT_OPERATION_BUCKETS: Mapping[str, str] = OPERATION_BUCKETS


# The reference server's name for the one settings error (a message never holds a key's value).
ConfigError = SettingsError


def parse_api_keys(spec: str) -> dict[str, str]:
    """Parse `key1:team_a,key2:team_b` into {key: team}. Error messages never echo a key."""
    keys: dict[str, str] = {}
    for position, item in enumerate(spec.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        key, sep, team = item.rpartition(":")
        key, team = key.strip(), team.strip()
        if not sep or not key or not team:
            raise ConfigError(f"DNC_API_KEYS item {position} is not of the form key:team")
        if key in keys:
            raise ConfigError(f"DNC_API_KEYS item {position} repeats an earlier key")
        keys[key] = team
    return keys


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the app needs; tests inject `clock` and `normalizer`."""

    api_keys: Mapping[str, str]
    db_path: str | Path = ":memory:"
    rate_window_s: float = DEFAULT_WINDOW_S
    rate_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    operation_buckets: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_OPERATION_BUCKETS)
    )
    cache_ttl_s: float = CACHE_TTL_S
    # PostgreSQL instead of SQLite (`db_path` is then unused); Redis for limits and the cache.
    database_url: str | None = None
    redis_url: str | None = None
    # How long an instance trusts a stored key it looked up: the bound on how late a
    # `dnc keys revoke` takes effect on a running instance.
    key_cache_ttl_s: float = 2.0
    max_body_bytes: int = 1_048_576
    max_batch_entries: int = BATCH_MAX_ENTRIES
    clock: Callable[[], float] = time.time
    normalizer: Callable[[str], str | None] = normalize_linkedin_url

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate_window_s) and self.rate_window_s > 0):
            raise ConfigError("rate_window_s must be a positive number of seconds")
        if self.cache_ttl_s < 0 or self.key_cache_ttl_s < 0:
            raise ConfigError("cache_ttl_s and key_cache_ttl_s must not be negative")
        if self.database_url is not None:
            postgres_url(self.database_url, "the database URL")
        if self.redis_url is not None:
            redis_url(self.redis_url, "the Redis URL")
        if self.max_body_bytes < 1 or self.max_batch_entries < 1:
            raise ConfigError("max_body_bytes and max_batch_entries must be positive")
        for operation, bucket in self.operation_buckets.items():
            if bucket not in self.rate_limits:
                raise ConfigError(f"operation {operation} uses unknown bucket {bucket!r}")
        if any(limit < 1 for limit in self.rate_limits.values()):
            raise ConfigError("every rate limit must be at least 1")

    def __repr__(self) -> str:
        # The dataclass repr would print every API key into logs and tracebacks.
        return (
            f"Settings(teams={sorted(set(self.api_keys.values()))!r}, "
            f"db_path={str(self.db_path)!r}, rate_window_s={self.rate_window_s!r}, "
            f"database_url={self.database_url and redact_url(self.database_url)!r}, "
            f"redis_url={self.redis_url and redact_url(self.redis_url)!r}, "
            f"rate_limits={dict(self.rate_limits)!r})"
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        default_api_keys: Mapping[str, str] | None = None,
        stored_keys: bool = False,
        **overrides: object,
    ) -> Settings:
        """Read DNC_API_KEYS, DNC_RATE_WINDOW_S, DNC_DB, DNC_DATABASE_URL and DNC_REDIS_URL;
        keyword overrides win.

        Without DNC_API_KEYS, `default_api_keys` is used (the CLI passes generated demo keys);
        with neither, ConfigError unless `stored_keys` (keys kept in the database) is set.
        """
        env = read_environment(environ)
        values: dict[str, object] = {}
        if env.api_keys:
            values["api_keys"] = parse_api_keys(env.api_keys)
        elif default_api_keys is not None:
            values["api_keys"] = dict(default_api_keys)
        if env.rate_window_s is not None:
            values["rate_window_s"] = env.rate_window_s
        if env.db_path:
            values["db_path"] = env.db_path
        if env.database_url:
            values["database_url"] = env.database_url
        if env.redis_url:
            values["redis_url"] = env.redis_url
        values.update({k: v for k, v in overrides.items() if v is not None})
        if stored_keys:
            values.setdefault("api_keys", {})
        elif not values.get("api_keys"):
            raise ConfigError("no API keys: set DNC_API_KEYS=key1:team_a,key2:team_b")
        return cls(**values)  # type: ignore[arg-type]
