"""The check cache: 5 minutes per team and normalized URL, dropped on any write of the team."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .store import Entry

__all__ = ["CHECK_CACHE_TTL_S", "CheckCache"]

CHECK_CACHE_TTL_S = 300.0


@dataclass(frozen=True)
class _Cached:
    expires_at: float
    entry: Entry | None


class CheckCache:
    """Synchronous (never awaits), so a lookup and its store cannot straddle a write."""

    def __init__(self, now: Callable[[], float], ttl_s: float = CHECK_CACHE_TTL_S) -> None:
        self._now = now
        self._ttl_s = ttl_s
        self._teams: dict[str, dict[str, _Cached]] = {}

    def lookup(self, team_id: str, url: str, load: Callable[[], Entry | None]) -> Entry | None:
        """The cached answer while fresh, else `load()`'s answer, cached for the TTL."""
        now = self._now()
        team = self._teams.setdefault(team_id, {})
        cached = team.get(url)
        if cached is not None and cached.expires_at > now:
            return cached.entry
        entry = load()
        team[url] = _Cached(now + self._ttl_s, entry)
        return entry

    def invalidate(self, team_id: str) -> None:
        self._teams.pop(team_id, None)
