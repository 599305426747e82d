"""In-memory DNC entries, isolated per team.

All methods are synchronous and never await, so on one asyncio event loop each call is atomic:
no two requests can interleave inside an add, a batch or a delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

__all__ = ["DeleteOutcome", "DncStore", "Entry"]


@dataclass(frozen=True)
class Entry:
    id: str
    team_id: str
    url: str
    created_ns: int
    seq: int


class DeleteOutcome(Enum):
    DELETED = "deleted"
    NOT_FOUND = "not_found"
    OTHER_TEAM = "other_team"


class DncStore:
    """Entries by id (to tell 404 from 403) and, per team, by normalized URL."""

    def __init__(self) -> None:
        self._by_id: dict[str, Entry] = {}
        self._by_team_url: dict[str, dict[str, Entry]] = {}
        self._seq = 0

    def find(self, team_id: str, url: str) -> Entry | None:
        return self._by_team_url.get(team_id, {}).get(url)

    def find_by_id(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def add(self, team_id: str, url: str, entry_id: str, created_ns: int) -> Entry | None:
        """Store a new entry; None when the team already lists the URL (nothing changes)."""
        team = self._by_team_url.setdefault(team_id, {})
        if url in team or entry_id in self._by_id:
            return None
        self._seq += 1
        entry = Entry(entry_id, team_id, url, created_ns, self._seq)
        team[url] = entry
        self._by_id[entry_id] = entry
        return entry

    def delete(self, team_id: str, entry_id: str) -> DeleteOutcome:
        entry = self._by_id.get(entry_id)
        if entry is None:
            return DeleteOutcome.NOT_FOUND
        if entry.team_id != team_id:
            return DeleteOutcome.OTHER_TEAM
        del self._by_id[entry_id]
        del self._by_team_url[team_id][entry.url]
        return DeleteOutcome.DELETED

    def page(
        self, team_id: str, limit: int, offset: int, *, ties_oldest_first: bool
    ) -> list[Entry]:
        """Newest first by creation time; among equal times by insertion order as chosen."""
        entries: Iterable[Entry] = self._by_team_url.get(team_id, {}).values()
        tie = 1 if ties_oldest_first else -1
        ordered = sorted(entries, key=lambda e: (-e.created_ns, tie * e.seq))
        return ordered[offset : offset + limit]
