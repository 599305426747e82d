"""The check cache: answers per (team, normalized url) for a TTL, dropped on every team write.

The race it must not lose: a check reads the database, a write commits and invalidates, and
only then does the check store its (now stale) answer. Each team has a generation counter that
every invalidation bumps; a check notes the generation before reading the database and its
`put` is ignored if the generation moved meanwhile. Everything runs on the event loop between
awaits, so the counter needs no lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reference_server.storage import Entry

__all__ = ["CheckCache", "Miss"]


class Miss:
    """Sentinel type for a cache miss (a cached `None` means "not on the list")."""


MISS = Miss()


@dataclass
class _TeamCache:
    generation: int = 0
    answers: dict[str, tuple[float, Entry | None]] = field(default_factory=dict)


class CheckCache:
    def __init__(
        self, ttl_s: float, clock: Callable[[], float], max_entries_per_team: int = 50_000
    ) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._max = max_entries_per_team
        self._teams: dict[str, _TeamCache] = {}
        self.hits = 0
        self.misses = 0

    def _team(self, team_id: str) -> _TeamCache:
        team = self._teams.get(team_id)
        if team is None:
            team = self._teams[team_id] = _TeamCache()
        return team

    def generation(self, team_id: str) -> int:
        return self._team(team_id).generation

    def get(self, team_id: str, url: str) -> Entry | Miss | None:
        team = self._teams.get(team_id)
        if team is not None and (cached := team.answers.get(url)) is not None:
            expires, answer = cached
            if self._clock() < expires:
                self.hits += 1
                return answer
            del team.answers[url]
        self.misses += 1
        return MISS

    def put(self, team_id: str, url: str, answer: Entry | None, generation: int) -> None:
        if self._ttl <= 0:
            return
        team = self._team(team_id)
        if team.generation != generation:
            return  # a write happened while this answer was read: it may be stale
        if len(team.answers) >= self._max:
            # dicts keep insertion order: drop the oldest answer to bound memory
            del team.answers[next(iter(team.answers))]
        team.answers[url] = (self._clock() + self._ttl, answer)

    def invalidate(self, team_id: str) -> None:
        team = self._team(team_id)
        team.generation += 1
        team.answers = {}
