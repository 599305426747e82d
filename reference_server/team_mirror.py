"""Small teams' whole lists, held by each instance under the generation they were read at.

On replicas most checks ask about people who are NOT on the list (an agent checks every
prospect before writing), so a per-URL answer cache rarely hits and each such check paid a
PostgreSQL read. A team whose list is small is cheaper to hold whole: one read of the list
answers every later check of that team, listed or not, until a write moves its generation.

Safety (a listed person is never answered "not listed") rests on the same two rules as the
answer cache in `cache_redis`:
- a copy is tagged with a generation read BEFORE the list was read, and served only while
  the admission script reports the team still at that generation (in the same call);
- a copy is installed only if, after the read, the generation has not moved and no write of
  the team is in flight (`RedisCheckCache.still_current`). A write that committed but never
  reported its end (instance killed) cannot be missing from a copy that is then served.
A copy is also dropped after the check cache's TTL, like a cached answer: writes made
around the service (an operator's SQL) are seen within the documented five minutes.

Bounds: teams of at most `MAX_TEAM` entries (a bigger list is re-read on every write,
`TOO_BIG_RETRY_S` spares it the attempt), `MAX_TOTAL` entries per instance (the oldest copies
go first), and `LOADS_AT_ONCE` reads in flight. The check that found no copy reads the
team's list instead of its one URL and answers from it (for 50 entries about the cost of the
one-URL read); the confirmation and the copy follow off the request path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from reference_server.cache import MISS, Miss
from reference_server.errors import ServiceUnavailable
from reference_server.logs import log_event
from reference_server.storage import Entry

__all__ = ["LOADS_AT_ONCE", "MAX_TEAM", "MAX_TOTAL", "TOO_BIG_RETRY_S", "TeamMirror"]

# A write makes every instance re-read the team's list on its next check of that team:
# 5,000 rows is a few milliseconds of one worker, at most 30 times a minute (the write limit).
MAX_TEAM: Final = 5_000
# About 50 MB of urls, ids and timestamps per instance.
MAX_TOTAL: Final = 200_000
TOO_BIG_RETRY_S: Final = 60.0
FAILED_RETRY_S: Final = 1.0
LOADS_AT_ONCE: Final = 8

# Reads at most `limit` entries of a team; None when the team holds more.
LoadTeam = Callable[[str, int], Awaitable[list[Entry] | None]]
# True when the team is still at `generation` with no write in flight.
StillCurrent = Callable[[str, str], Awaitable[bool]]
# url -> (entry id, created ms): plain tuples, which the garbage collector untracks.
_Urls = dict[str, tuple[str, int]]


class _Copy:
    __slots__ = ("expires", "generation", "urls")

    def __init__(self, generation: str, expires: float, urls: _Urls) -> None:
        self.generation = generation
        self.expires = expires
        self.urls = urls


class _Read:
    """A read of one team's list in flight; checks under the same generation share it."""

    __slots__ = ("generation", "urls")

    def __init__(self, generation: str, urls: asyncio.Future[_Urls | None]) -> None:
        self.generation = generation
        self.urls = urls


class TeamMirror:
    def __init__(
        self,
        load: LoadTeam,
        still_current: StillCurrent,
        ttl_s: float,
        *,
        max_team: int = MAX_TEAM,
        max_total: int = MAX_TOTAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._still_current = still_current
        self._ttl_s = ttl_s
        self._max_team = max_team
        self._max_total = max_total
        self._clock = clock
        self._copies: dict[str, _Copy] = {}
        self._total = 0
        # team -> not before (monotonic): too big, or its last read failed.
        self._resting: dict[str, float] = {}
        self._reads: dict[str, _Read] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.loads = 0

    @property
    def enabled(self) -> bool:
        return self._ttl_s > 0 and self._max_team > 0

    @property
    def reading(self) -> int:
        """Reads of lists, with their confirmations, in flight."""
        return len(self._tasks)

    def generation(self, team_id: str) -> str | None:
        """The generation of this instance's copy of the team, if it holds a fresh one."""
        copy = self._copies.get(team_id)
        if copy is None:
            return None
        if self._clock() >= copy.expires:
            self._drop(team_id)
            return None
        return copy.generation

    def answer(self, team_id: str, url: str, generation: str) -> Entry | Miss | None:
        """The answer from the copy held under `generation`, which Redis just reported as
        the team's current one; MISS when no such copy is held."""
        copy = self._copies.get(team_id)
        if copy is None or copy.generation != generation:
            return MISS
        return _answer(team_id, url, copy.urls)

    async def read(self, team_id: str, url: str, generation: str) -> Entry | Miss | None:
        """Answer a check that found no copy by reading the team's whole list instead of the
        one URL (`generation`: what Redis reported before this read), and keep that list if
        it is still current afterwards. Concurrent checks under the same generation share
        one read. MISS when the team is too big, resting, the read failed, or too many
        reads are in flight: the caller then reads the one URL."""
        if not self.enabled:
            return MISS
        pending = self._reads.get(team_id)
        if pending is None:
            if len(self._reads) >= LOADS_AT_ONCE or self._is_resting(team_id):
                return MISS
            pending = self._start(team_id, generation)
        elif pending.generation != generation:
            return MISS  # read under an older generation: it may miss a write this check saw
        urls = await asyncio.shield(pending.urls)
        return MISS if urls is None else _answer(team_id, url, urls)

    def _is_resting(self, team_id: str) -> bool:
        until = self._resting.get(team_id)
        if until is None:
            return False
        if self._clock() < until:
            return True
        del self._resting[team_id]
        return False

    def _start(self, team_id: str, generation: str) -> _Read:
        pending = _Read(generation, asyncio.get_running_loop().create_future())
        self._reads[team_id] = pending
        task = asyncio.ensure_future(self._fill(team_id, pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return pending

    async def _fill(self, team_id: str, pending: _Read) -> None:
        urls: _Urls | None = None
        try:
            urls = await self._read_list(team_id)
        finally:
            # Whatever happened (cancelled too), no check waits forever.
            if self._reads.get(team_id) is pending:
                del self._reads[team_id]
            if not pending.urls.done():
                pending.urls.set_result(urls)
        if urls is None:
            return
        try:
            current = await self._still_current(team_id, pending.generation)
        except Exception as error:  # a copy not kept only costs reads
            if not isinstance(error, ServiceUnavailable):
                log_event("team_mirror_failed", logging.WARNING, error=type(error).__name__)
            return
        if current:  # else a write moved it meanwhile: the next miss reads again
            self._install(team_id, pending.generation, urls)

    async def _read_list(self, team_id: str) -> _Urls | None:
        try:
            entries = await self._load(team_id, self._max_team)
        except Exception as error:  # the caller reads the one URL instead
            if not isinstance(error, ServiceUnavailable):
                log_event("team_mirror_failed", logging.WARNING, error=type(error).__name__)
            self._rest(team_id, FAILED_RETRY_S)
            return None
        if entries is None:
            self._rest(team_id, TOO_BIG_RETRY_S)
            self._drop(team_id)
            return None
        return {entry.url: (entry.id, entry.created_ms) for entry in entries}

    def _rest(self, team_id: str, seconds: float) -> None:
        if len(self._resting) >= self._max_total:
            self._resting.clear()  # rare; forgetting only costs a read
        self._resting[team_id] = self._clock() + seconds

    def _install(self, team_id: str, generation: str, urls: _Urls) -> None:
        self._drop(team_id)
        while self._copies and self._total + _weight(urls) > self._max_total:
            self._drop(next(iter(self._copies)))  # the oldest copy
        self._copies[team_id] = _Copy(generation, self._clock() + self._ttl_s, urls)
        self._total += _weight(urls)
        self.loads += 1

    def _drop(self, team_id: str) -> None:
        copy = self._copies.pop(team_id, None)
        if copy is not None:
            self._total -= _weight(copy.urls)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._copies.clear()
        self._total = 0


def _weight(urls: _Urls) -> int:
    # An empty team's copy costs memory too: counted as one entry, so `MAX_TOTAL` also
    # bounds how many copies are held.
    return max(1, len(urls))


def _answer(team_id: str, url: str, urls: _Urls) -> Entry | None:
    held = urls.get(url)
    return None if held is None else Entry(held[0], team_id, url, held[1])
