"""The check cache shared by every instance: answers in Redis under a per-team generation.

Every answer key carries the team's generation (`dnc:{team}:chk:<generation>:<url digest>`),
and a write bumps the generation, so every answer cached before it becomes unreachable at
once, on every instance; old keys simply expire. The race the single-process cache closes
with its counter is closed here the same way, atomically in Redis: `lookup` returns the
generation with the answer, and `store` writes only if the generation is still that one.

A write bumps the generation twice, and is marked in flight in between:
- before it touches the database: if Redis is unreachable the write is refused (503), so no
  write can ever commit without invalidating; and answers cached before the write are gone
  even if this instance dies right after the commit (kill -9). The same script notes the
  write in the team's in-flight set, with an expiry of `WRITE_MARK_S`;
- after the commit: the mark is removed and the generation bumped again, which closes the
  window in which a check that raced the write re-cached the old answer. If that step fails,
  it is retried on this instance's next cache call, and until it succeeds this instance
  serves that team from the database.
- `store` refuses while any write of the team is in flight. Without that, a check on
  another instance that read the database just before the commit could store the old
  answer under the bumped generation whenever the post-commit bump never comes (this
  instance killed, or cut off from Redis, between commit and bump): a person who had just
  opted out would look contactable for the whole TTL. With it, such an answer can only be
  stored once the mark has expired, long after any read that began before the commit.

A missing generation (a fresh or restarted Redis, an evicted key) starts at Redis' clock in
microseconds, never at 0: a check that read generation N before a Redis restart can then
never store its answer under a new, coincidentally equal N.

Redis unreachable: `lookup` answers a miss with a None token, so the check reads the
database and nothing is stored (decision outage-redis). Stale answers are impossible: writes
are refused while Redis is down, and answers live only in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from collections import defaultdict, deque
from typing import Any, Final

from reference_server.cache import MISS, Miss, Token, as_answer, as_stored
from reference_server.errors import ServiceUnavailable
from reference_server.redis_batch import BatchedScript
from reference_server.redis_link import RedisLink, team_key
from reference_server.storage import Entry

__all__ = ["HOT_ANSWERS", "WRITE_MARK_S", "RedisCheckCache", "ensure_generation"]

# How long a write counts as in flight if its end is never reported. Far longer than any
# write takes (a 1,000-entry batch commits in ~0.1 s), far shorter than the answer TTL.
WRITE_MARK_S: Final = 30.0


def ensure_generation(key: str = "KEYS[1]") -> str:
    """Lua that leaves the team's generation (stored under `key`) in `generation`."""
    return f"""
local generation = redis.call('GET', {key})
if not generation then
  local t = redis.call('TIME')
  generation = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', {key}, generation)
end
"""


ENSURE_GENERATION = ensure_generation()
# KEYS[1] generation key; ARGV[1] answer-key prefix, ARGV[2] url digest.
_LOOKUP = (
    ENSURE_GENERATION
    + """
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
"""
)
_NOW_US = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""
# KEYS[1] generation key, KEYS[2] in-flight writes; ARGV[1] expected generation. Returns 0
# unless the team is still at that generation with no write in flight.
_STILL_CURRENT = (
    _NOW_US
    + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
"""
)
# The same keys and ARGV[1]; ARGV[2] answer key, ARGV[3] value, ARGV[4] ttl ms.
_STORE = (
    _STILL_CURRENT
    + """
redis.call('SET', ARGV[2], ARGV[3], 'PX', ARGV[4])
return 1
"""
)
_IS_CURRENT = _STILL_CURRENT + "return 1\n"
# KEYS[1] generation key, KEYS[2] in-flight writes; ARGV[1] write id, ARGV[2] mark in us.
_BEGIN_WRITE = (
    ENSURE_GENERATION
    + _NOW_US
    + """
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], math.ceil(tonumber(ARGV[2]) / 1000) + 1000)
return redis.call('INCR', KEYS[1])
"""
)
# KEYS[1] generation key, KEYS[2] in-flight writes; ARGV[1] write id.
_END_WRITE = (
    ENSURE_GENERATION
    + """
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[1])
"""
)

_NOT_LISTED = b"-"
# How often ends of writes that could not reach Redis are tried again in the background.
PENDING_RETRY_S: Final = 0.2

# Answers this instance keeps in memory, each under the generation it was valid for.
HOT_ANSWERS = 50_000


def _encode(answer: Entry | None) -> bytes:
    if answer is None:
        return _NOT_LISTED
    return json.dumps([answer.id, answer.team_id, answer.url, answer.created_ms]).encode()


def _decode(raw: bytes) -> Entry | None:
    if raw == _NOT_LISTED:
        return None
    entry_id, team_id, url, created_ms = json.loads(raw)
    return Entry(id=entry_id, team_id=team_id, url=url, created_ms=created_ms)


def _url_digest(url: str) -> str:
    # Keys stay short and carry no personal data; 128 bits make collisions irrelevant.
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class RedisCheckCache:
    def __init__(self, link: RedisLink, ttl_s: float) -> None:
        self._link = link
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._enabled = ttl_s > 0
        self._scripts: dict[str, Any] = {}
        # This instance's writes in flight, per team (ids in start order; writes of one team
        # may overlap, and each `after_write` ends the oldest, which is as good as any).
        self._writes: defaultdict[str, deque[str]] = defaultdict(deque)
        # Ends of writes that could not reach Redis: (team, write id), retried on the next
        # cache call; until then this instance serves that team from the database.
        self._pending: dict[str, list[str]] = {}
        # Stores run after the answer is sent (one round trip less on a miss); kept here so
        # they are not garbage-collected mid-flight and can be awaited on close.
        self._storing: set[asyncio.Task[None]] = set()
        self._reporter: asyncio.Task[None] | None = None
        self._store_script = BatchedScript(link, _STORE)
        self._current_script = BatchedScript(link, _IS_CURRENT)
        # (team, url) -> (generation, valid until on the monotonic clock, answer). Served
        # only when the admission script reports the team still at that generation, in the
        # same call: a write bumps it, so nothing here outlives a write.
        # Answers as plain tuples: untracked by the garbage collector (see `cache`).
        self._hot: dict[tuple[str, str], tuple[str, float, tuple[str, str, str, int] | None]] = {}
        self._ttl_s = ttl_s
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    @staticmethod
    def url_digest(url: str) -> str:
        return _url_digest(url)

    def _remember(self, team_id: str, url: str, generation: str, answer: Entry | None) -> None:
        if len(self._hot) >= HOT_ANSWERS:
            del self._hot[next(iter(self._hot))]  # the oldest: dicts keep insertion order
        self._hot[(team_id, url)] = (generation, time.monotonic() + self._ttl_s, as_stored(answer))

    def hot_generation(self, team_id: str, url: str) -> str | None:
        """The generation under which this instance holds the answer, if it does."""
        held = self._hot.get((team_id, url))
        if held is None:
            return None
        if time.monotonic() >= held[1]:
            del self._hot[(team_id, url)]
            return None
        return held[0]

    def hot_answer(self, team_id: str, url: str, generation: str) -> Entry | Miss | None:
        """The answer held under `generation`, which Redis just reported as current."""
        held = self._hot.get((team_id, url))
        if held is None or held[0] != generation:
            self.misses += 1
            return MISS
        self.hits += 1
        return as_answer(held[2])

    def answer_from(
        self, team_id: str, url: str, generation: str, raw: bytes | None
    ) -> Entry | Miss | None:
        """Decode what Redis holds for `url` under the current `generation`."""
        if raw is None:
            self.misses += 1
            return MISS
        self.hits += 1
        answer = _decode(raw)
        self._remember(team_id, url, generation, answer)
        return answer

    async def flush_pending(self) -> None:
        """Report the ends of writes that could not reach Redis (raises while it is out)."""
        await self._flush_pending()

    async def open(self) -> None:
        self._scripts = {
            name: self._link.script(source)
            for name, source in (
                ("lookup", _LOOKUP),
                ("begin", _BEGIN_WRITE),
                ("end", _END_WRITE),
            )
        }

    async def close(self) -> None:
        if self._reporter is not None:
            self._reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reporter
            self._reporter = None
        if self._storing:
            await asyncio.wait(self._storing, timeout=2)
        await self._store_script.close()
        await self._current_script.close()
        self._scripts = {}

    async def _script(
        self, name: str, team_id: str, *args: object, even_if_down: bool = False
    ) -> Any:
        script = self._scripts[name]
        keys = [team_key(team_id, "gen"), team_key(team_id, "writing")]
        return await self._link.call(
            lambda client: script(keys=keys, args=args, client=client), even_if_down=even_if_down
        )

    async def _flush_pending(self) -> None:
        # Concurrent checks may report the same ends (an end is safe to report twice): each
        # id leaves the list once reported, by whichever check got there first, and the team
        # leaves `_pending` only when no end of it is left unreported.
        for team_id, write_ids in list(self._pending.items()):
            for write_id in list(write_ids):
                await self._script("end", team_id, write_id)
                if write_id in write_ids:
                    write_ids.remove(write_id)
            if not write_ids and self._pending.get(team_id) is write_ids:
                del self._pending[team_id]

    async def lookup(self, team_id: str, url: str) -> tuple[Token, Entry | Miss | None]:
        self.misses += 1
        if not self._enabled:
            return None, MISS
        try:
            if self._pending:
                await self._flush_pending()
            script = self._scripts["lookup"]
            keys = [team_key(team_id, "gen")]
            args = [team_key(team_id, "chk", ""), _url_digest(url)]
            generation, raw = await self._link.call(
                lambda client: script(keys=keys, args=args, client=client)
            )
        except ServiceUnavailable:
            return None, MISS  # bypass: the database answers, nothing is stored
        if raw is None:
            return generation.decode(), MISS
        self.misses -= 1
        self.hits += 1
        return generation.decode(), _decode(raw)

    async def store(self, team_id: str, url: str, answer: Entry | None, token: Token) -> None:
        if not isinstance(token, str) or team_id in self._pending:
            return
        # Safe to run late: the script stores only if the generation is still `token` and no
        # write of the team is in flight, whenever it runs. So it runs after the answer is
        # sent, with the other stores of the same event-loop turn (`redis_batch`).
        task = asyncio.ensure_future(self._store(team_id, url, token, answer))
        self._storing.add(task)
        task.add_done_callback(self._storing.discard)

    async def _store(self, team_id: str, url: str, token: str, answer: Entry | None) -> None:
        keys = (team_key(team_id, "gen"), team_key(team_id, "writing"))
        answer_key = team_key(team_id, "chk", token, _url_digest(url))
        try:
            stored = await self._store_script(
                keys, (token, answer_key, _encode(answer), self._ttl_ms)
            )
        except ServiceUnavailable:
            return  # an answer not cached is only slower, never wrong
        if stored == 1:
            self._remember(team_id, url, token, answer)

    async def still_current(self, team_id: str, generation: str) -> bool:
        """True when the team is still at `generation` and no write of it is in flight: what
        held since `generation` was read may then be kept (the rule `store` applies)."""
        if team_id in self._pending:
            return False
        keys = (team_key(team_id, "gen"), team_key(team_id, "writing"))
        return bool(await self._current_script(keys, (generation,)))

    async def before_write(self, team_id: str) -> None:
        write_id = secrets.token_hex(8)
        mark_us = round(WRITE_MARK_S * 1_000_000)
        await self._script("begin", team_id, write_id, mark_us)  # 503 refuses the write
        self._writes[team_id].append(write_id)

    async def after_write(self, team_id: str) -> None:
        writes = self._writes.get(team_id)
        write_id = writes.popleft() if writes else ""  # "": a bump with no write of ours
        if writes is not None and not writes:
            del self._writes[team_id]
        for even_if_down in (False, True):
            # The write is committed: until its end is reported, another instance may hold
            # answers or a list without it whenever the in-flight mark is gone (a Redis that
            # restarted mid-write). A connection a restart killed fails once; a fresh one,
            # tried at once past the circuit breaker, reports the end before the answer.
            try:
                await self._script("end", team_id, write_id, even_if_down=even_if_down)
                return
            except ServiceUnavailable:
                continue
        self._pending.setdefault(team_id, []).append(write_id)
        if self._reporter is None or self._reporter.done():
            self._reporter = asyncio.ensure_future(self._report_pending())

    async def _report_pending(self) -> None:
        """Report unreported ends as soon as Redis answers again, not only at this instance's
        next cache call (which may never come)."""
        while self._pending:
            await asyncio.sleep(PENDING_RETRY_S)
            with contextlib.suppress(ServiceUnavailable):
                await self._flush_pending()
