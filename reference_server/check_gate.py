"""The check's way in: admit it into its rolling window and look its answer up, together.

A check is the hot path, and on replicas each Redis round trip costs more than the Lua it
runs. `RedisCheckGate` does both in ONE script call (sent with the other checks of the same
event-loop turn, `redis_batch`): the rolling-window admission of
`ratelimit_redis` and, only when admitted, the team's cache generation and the cached answer
of `cache_redis`, atomically. A refused check adds nothing and reads nothing.

`LocalCheckGate` composes any `Limiter` and `AnswerCache` (the single-process ones): two calls,
both in memory.

Outage (decision outage-redis): the gate behaves as the two calls did, a check admitted by the
per-instance fallback window and answered from the database, nothing stored.

With a `TeamMirror`, the generation sent is that of this instance's copy of the team's whole
list when it holds one: a check of a small team, listed or not, is then that one call.
"""

from __future__ import annotations

from typing import Protocol

from reference_server.cache import MISS, AnswerCache, Miss, Token
from reference_server.cache_redis import RedisCheckCache, ensure_generation
from reference_server.errors import ServiceUnavailable
from reference_server.ratelimit import Decision, Limiter
from reference_server.ratelimit_redis import WINDOW_ADMIT, RedisRateLimiter, decision
from reference_server.redis_batch import BatchedScript
from reference_server.redis_link import RedisLink, team_key
from reference_server.storage import Entry
from reference_server.team_mirror import TeamMirror

__all__ = ["CheckGate", "LocalCheckGate", "RedisCheckGate"]

Lookup = tuple[Decision, Token, Entry | Miss | None]


class CheckGate(Protocol):
    async def admit_and_lookup(self, team_id: str, bucket: str, url: str | None) -> Lookup:
        """Admit one check (degradable), and when admitted and `url` is given, its cached
        answer with the token `AnswerCache.store` takes back; MISS when not cached."""
        ...

    async def read_team(self, team_id: str, url: str, token: Token) -> Entry | Miss | None:
        """Answer a MISS by reading the team's whole list when that is worth keeping;
        MISS when the caller must read the one URL."""
        ...


class LocalCheckGate:
    def __init__(self, limiter: Limiter, cache: AnswerCache) -> None:
        self._limiter = limiter
        self._cache = cache

    async def admit_and_lookup(self, team_id: str, bucket: str, url: str | None) -> Lookup:
        admitted = await self._limiter.acquire(team_id, bucket, degradable=True)
        if not admitted.allowed or url is None:
            return admitted, None, MISS
        token, cached = await self._cache.lookup(team_id, url)
        return admitted, token, cached

    async def read_team(self, team_id: str, url: str, token: Token) -> Entry | Miss | None:
        return MISS  # one process: the one-URL read is as cheap as any


# KEYS[1] the (team, bucket) window, KEYS[2] the team's generation; ARGV[1] limit, ARGV[2]
# window in us, ARGV[3] answer-key prefix ('' when there is nothing to look up), ARGV[4] url
# digest, ARGV[5] the generation under which this instance already holds the answer ('' if
# none: then the answer itself is returned).
_ADMIT_AND_LOOKUP = (
    WINDOW_ADMIT
    + """
if allowed == 0 or ARGV[3] == '' then return {allowed, count, reset, now} end
"""
    + ensure_generation("KEYS[2]")
    + """
if generation == ARGV[5] then return {allowed, count, reset, now, generation} end
local answer = redis.call('GET', ARGV[3] .. generation .. ':' .. ARGV[4])
return {allowed, count, reset, now, generation, answer}
"""
)


class RedisCheckGate:
    def __init__(
        self,
        link: RedisLink,
        limiter: RedisRateLimiter,
        cache: RedisCheckCache,
        mirror: TeamMirror | None = None,
    ) -> None:
        self._link = link
        self._limiter = limiter
        self._cache = cache
        self._mirror = mirror
        self._script = BatchedScript(link, _ADMIT_AND_LOOKUP)

    @property
    def mirror(self) -> TeamMirror | None:
        return self._mirror

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        if self._mirror is not None:
            await self._mirror.close()
        await self._script.close()

    async def read_team(self, team_id: str, url: str, token: Token) -> Entry | Miss | None:
        if self._mirror is None or not isinstance(token, str):
            return MISS  # no generation (Redis unreachable): nothing may be kept
        return await self._mirror.read(team_id, url, token)

    async def admit_and_lookup(self, team_id: str, bucket: str, url: str | None) -> Lookup:
        limit = self._limiter.limit_of(bucket)
        cache = self._cache
        lookup = url is not None and cache.enabled
        keys = [team_key(team_id, "rl", bucket), team_key(team_id, "gen")]
        mirror = self._mirror if lookup and self._mirror is not None else None
        known = mirror.generation(team_id) if mirror is not None else None
        if known is None and lookup and url is not None:
            known = cache.hot_generation(team_id, url)
        digest = cache.url_digest(url) if lookup and url is not None else ""
        args = [
            limit,
            self._limiter.window_us,
            team_key(team_id, "chk", "") if lookup else "",
            digest,
            known or "",
        ]
        try:
            if cache.has_pending:
                await cache.flush_pending()
            reply = await self._script(keys, args)
        except ServiceUnavailable:
            cache.misses += lookup
            return self._limiter.fallback_hit(team_id, bucket), None, MISS
        admitted = decision(limit, bool(reply[0]), int(reply[1]), int(reply[2]), int(reply[3]))
        if len(reply) == 4 or url is None:
            return admitted, None, MISS
        generation = reply[4].decode()
        if mirror is not None:
            held = mirror.answer(team_id, url, generation)
            if not isinstance(held, Miss):
                cache.hits += 1
                return admitted, generation, held
        if len(reply) == 5:
            return admitted, generation, cache.hot_answer(team_id, url, generation)
        return admitted, generation, cache.answer_from(team_id, url, generation, reply[5])
