"""The rolling-window limiter shared by every instance: one Lua script over a sorted set.

Exactly the semantics of `ratelimit.RateLimiter`, made atomic by Redis instead of the event
loop: the script drops members older than the window, counts, admits (adds a unique member)
only while under the limit, and reports the oldest member. It reads the clock with
`redis.call('TIME')`, so instances with skewed clocks still agree on one window and one
`resetTime`. Refused requests add nothing, so hammering while limited does not push the
reset further out.

Redis unreachable (decision outage-redis): a degradable operation (the check) is admitted
by a per-instance `RateLimiter` of the same size; anything else raises ServiceUnavailable,
because limits that cannot be enforced across instances must not silently vanish.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reference_server.errors import ServiceUnavailable
from reference_server.ratelimit import Decision, RateLimiter
from reference_server.redis_link import RedisLink, team_key

__all__ = ["WINDOW_ADMIT", "RedisRateLimiter", "decision"]

# KEYS[1] the (team, bucket) sorted set; ARGV limit, window in microseconds.
# Scores are microseconds since the epoch (< 2^53, exact in Lua's doubles); members are the
# time as a string plus the count, unique even for two admissions in one microsecond.
# Leaves `allowed`, `count`, `reset` and `now` set (`check_gate` continues from there).
WINDOW_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  count = count + 1
  allowed = 1
  redis.call('ZADD', KEYS[1], now, t[1] .. string.format('%06d', tonumber(t[2])) .. '-' .. count)
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
end
local reset = now
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window end
"""
_ROLLING_WINDOW = WINDOW_ADMIT + "return {allowed, count, reset, now}\n"


def decision(limit: int, allowed: bool, count: int, reset_us: int, now_us: int) -> Decision:
    """The same Decision `RateLimiter.hit` makes, from the script's integers."""
    return Decision(
        allowed=allowed,
        limit=limit,
        remaining=limit - count,
        reset_ms=math.ceil(reset_us / 1000),
        retry_after_s=0 if allowed else max(0, math.ceil((reset_us - now_us) / 1_000_000)),
    )


class RedisRateLimiter:
    def __init__(
        self, link: RedisLink, limits: Mapping[str, int], window_s: float, fallback: RateLimiter
    ) -> None:
        self._link = link
        self._limits = dict(limits)
        self._window_us = round(window_s * 1_000_000)
        self._fallback = fallback
        self._script: Any = None

    async def open(self) -> None:
        self._script = self._link.script(_ROLLING_WINDOW)

    async def close(self) -> None:
        self._script = None

    def limit_of(self, bucket: str) -> int:
        return self._limits[bucket]

    @property
    def window_us(self) -> int:
        return self._window_us

    def fallback_hit(self, team_id: str, bucket: str) -> Decision:
        """Admission by this instance alone, for a degradable operation while Redis is out."""
        return self._fallback.hit(team_id, bucket)

    async def acquire(self, team_id: str, bucket: str, *, degradable: bool = False) -> Decision:
        limit = self._limits[bucket]
        key = team_key(team_id, "rl", bucket)
        script = self._script
        try:
            allowed, count, reset_us, now_us = await self._link.call(
                lambda client: script(keys=[key], args=[limit, self._window_us], client=client)
            )
        except ServiceUnavailable:
            if degradable:
                return self._fallback.hit(team_id, bucket)
            raise
        return decision(limit, bool(allowed), int(count), int(reset_us), int(now_us))
