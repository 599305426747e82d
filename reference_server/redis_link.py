"""The one Redis connection pool of an instance, with a short circuit breaker.

Redis carries the shared rate limits and the check cache. When it cannot be reached, callers
must learn it at once, not after retries: the client is built without retries and with short
timeouts, and after a failure every call fails fast for `COOL_DOWN_S` instead of piling up
connection attempts. The next call after the cool-down tries Redis again, so recovery needs
no restart (decision outage-redis).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from dnc_kit.redaction import redact_url
from reference_server.errors import ServiceUnavailable
from reference_server.logs import log_event

__all__ = ["RedisLink", "team_key"]

T = TypeVar("T")

TIMEOUT_S = 1.0
COOL_DOWN_S = 1.0
MAX_CONNECTIONS = 64


def team_key(team_id: str, *parts: str) -> str:
    """`dnc:{team}:...`: the braces keep every key of a team in one Redis Cluster hash slot,
    which multi-key scripts need."""
    return ":".join(("dnc", "{" + team_id + "}", *parts))


class RedisLink:
    def __init__(self, url: str) -> None:
        self._url = url
        self._client: aioredis.Redis | None = None
        self._down_until = 0.0
        self.failures = 0

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("Redis link is not open")
        return self._client

    async def open(self) -> None:
        # A blocking pool: a burst beyond MAX_CONNECTIONS waits for a free connection
        # (up to TIMEOUT_S) instead of failing as if Redis were down.
        pool = aioredis.BlockingConnectionPool.from_url(
            self._url,
            max_connections=MAX_CONNECTIONS,
            timeout=TIMEOUT_S,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
        )
        self._client = aioredis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose(close_connection_pool=True)
            self._client = None

    @property
    def available(self) -> bool:
        """False during the cool-down after a failure (callers may then degrade at once)."""
        return time.monotonic() >= self._down_until

    async def call(
        self, operation: Callable[[aioredis.Redis], Awaitable[T]], *, even_if_down: bool = False
    ) -> T:
        """Run one Redis operation; any Redis or socket failure becomes ServiceUnavailable.

        `even_if_down`: try even during the cool-down (a call that must not wait for it)."""
        if not even_if_down and not self.available:
            raise ServiceUnavailable("redis")
        try:
            result = await operation(self.client)
        except (RedisError, OSError) as error:
            self._trip(error)
            # A restarted Redis leaves every pooled connection dead: drop the idle ones now,
            # or each would fail one more request after Redis is back.
            with contextlib.suppress(RedisError, OSError):
                await self.client.connection_pool.disconnect(inuse_connections=False)
            raise ServiceUnavailable("redis") from None
        if self.failures:
            log_event("redis_recovered", after_failures=self.failures)
            self.failures = 0
        return result

    def _trip(self, error: BaseException) -> None:
        self._down_until = time.monotonic() + COOL_DOWN_S
        self.failures += 1
        if self.failures == 1:
            log_event(
                "redis_unreachable",
                logging.WARNING,
                redis=redact_url(self._url),
                error=type(error).__name__,
            )

    def script(self, source: str) -> Any:
        """A registered Lua script (its SHA is cached; Redis reloads it after a restart)."""
        return self.client.register_script(source)
