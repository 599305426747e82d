"""Which storage, limiter and cache an app runs on, chosen from `Settings`, opened together.

- `database_url` set: PostgreSQL; otherwise SQLite at `db_path` (the embedded default).
- `redis_url` set: the limiter and the check cache live in Redis and are shared by every
  instance; otherwise they are this process's own (correct only for a single process, which
  is why `dnc serve --workers N` refuses N > 1 without Redis).
"""

from __future__ import annotations

from dataclasses import dataclass

from reference_server.cache import AnswerCache, CheckCache
from reference_server.cache_redis import RedisCheckCache
from reference_server.check_gate import CheckGate, LocalCheckGate, RedisCheckGate
from reference_server.ratelimit import Limiter, RateLimiter
from reference_server.ratelimit_redis import RedisRateLimiter
from reference_server.redis_link import RedisLink
from reference_server.settings import Settings
from reference_server.storage import SqliteStorage, Storage
from reference_server.team_mirror import TeamMirror

__all__ = ["Backends", "build_backends"]


@dataclass
class Backends:
    storage: Storage
    limiter: Limiter
    cache: AnswerCache
    redis: RedisLink | None = None
    # The check's admission and cache lookup (one Redis call on replicas).
    gate: CheckGate | None = None

    def __post_init__(self) -> None:
        if self.gate is None:
            self.gate = LocalCheckGate(self.limiter, self.cache)

    async def open(self) -> None:
        await self.storage.open()
        if self.redis is not None:
            await self.redis.open()
        await self.limiter.open()
        await self.cache.open()
        if isinstance(self.gate, RedisCheckGate):
            await self.gate.open()

    async def close(self) -> None:
        if isinstance(self.gate, RedisCheckGate):
            await self.gate.close()
        await self.cache.close()
        await self.limiter.close()
        if self.redis is not None:
            await self.redis.close()
        await self.storage.close()

    def describe(self) -> dict[str, str]:
        """For the start-up log line: kinds only, never URLs with credentials."""
        return {
            "storage": type(self.storage).__name__,
            "limiter": type(self.limiter).__name__,
            "cache": type(self.cache).__name__,
        }


def _storage(settings: Settings) -> Storage:
    if settings.database_url is not None:
        # Imported here: the embedded default never loads psycopg.
        from reference_server.storage.postgres import PostgresStorage

        return PostgresStorage(settings.database_url)
    return SqliteStorage(settings.db_path)


def build_backends(settings: Settings, storage: Storage | None = None) -> Backends:
    store = storage or _storage(settings)
    local_limiter = RateLimiter(settings.rate_limits, settings.rate_window_s, settings.clock)
    if settings.redis_url is None:
        return Backends(store, local_limiter, CheckCache(settings.cache_ttl_s, settings.clock))
    link = RedisLink(settings.redis_url)
    limiter = RedisRateLimiter(link, settings.rate_limits, settings.rate_window_s, local_limiter)
    cache = RedisCheckCache(link, settings.cache_ttl_s)
    mirror = TeamMirror(store.team_entries, cache.still_current, settings.cache_ttl_s)
    return Backends(store, limiter, cache, link, RedisCheckGate(link, limiter, cache, mirror))
