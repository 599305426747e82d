"""What the run created, and how it is removed again: tracked ids first, then every entry whose
URL carries the run marker (found by paging the team's list). Nothing else is ever deleted."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from contract_tests.client import DncClient, Exchange
from dnc_kit.contract import LIST_LIMIT_MAX

MAX_PAGES = 50
PAGE = LIST_LIMIT_MAX


@dataclass
class Tracker:
    """Ids and URLs created per team, learnt from every 201 the clients see."""

    marker: str
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # team -> id -> url
    foreign_added: dict[str, set[str]] = field(
        default_factory=dict
    )  # team -> url outside the prefix
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, exchange: Exchange) -> None:
        """Client listener: remember what was created, forget what was deleted."""
        if exchange.team == "-":
            return
        data = exchange.data
        if exchange.method == "POST" and exchange.path == "/dnc" and exchange.status == 201:
            if isinstance(data, dict) and isinstance(data.get("$id"), str):
                with self._lock:
                    self.ids.setdefault(exchange.team, {})[data["$id"]] = str(data.get("url"))
        elif exchange.method == "POST" and exchange.path == "/dnc/batch" and exchange.status == 201:
            details = data.get("details") if isinstance(data, dict) else None
            for item in details if isinstance(details, list) else []:
                if not isinstance(item, dict) or item.get("status") != "added":
                    continue
                url = str(item.get("url"))
                if self.marker not in url:
                    with self._lock:
                        self.foreign_added.setdefault(exchange.team, set()).add(url)
        elif exchange.method == "DELETE" and exchange.status in (200, 404):
            entry_id = exchange.path.rsplit("/", 1)[-1]
            with self._lock:
                self.ids.get(exchange.team, {}).pop(entry_id, None)


def cleanup_team(client: DncClient, tracker: Tracker) -> list[str]:
    """Delete what this run created for the client's team; return problems (never raises)."""
    problems: list[str] = []
    team = client.team
    try:
        problems += delete_tracked(client, tracker)
        # URLs a broken server "added" although they are outside the run prefix: we created them,
        # so we remove exactly those again.
        for url in sorted(tracker.foreign_added.get(team, set())):
            ex = client.check(url)
            entry = ex.data.get("entry") if isinstance(ex.data, dict) else None
            if isinstance(entry, dict) and isinstance(entry.get("$id"), str):
                client.delete(entry["$id"])
        for entry_id in find_marked(client, tracker.marker):
            ex = client.delete(entry_id)
            if ex.status not in (200, 404):
                problems.append(f"could not delete {entry_id}: {ex.status}")
    except Exception as exc:  # cleanup must finish whatever the target does
        problems.append(f"cleanup of team {team} stopped: {exc!r}")
    return problems


def delete_tracked(client: DncClient, tracker: Tracker) -> list[str]:
    """Delete every id the run created for the client's team (paced); return problems."""
    problems: list[str] = []
    for entry_id in list(tracker.ids.get(client.team, {})):
        ex = client.delete(entry_id)
        if ex.status not in (200, 404):
            problems.append(f"could not delete {entry_id}: {ex.status}")
    return problems


def find_marked(client: DncClient, marker: str) -> list[str]:
    """Ids of every entry of the client's team whose url carries the run marker.

    Pages by what each page held, so that a server capping `limit` below PAGE is still paged
    through to the end."""
    found: list[str] = []
    previous_first: object = None
    offset = 0
    for page in range(MAX_PAGES):
        ex = client.list(limit=PAGE, offset=offset)
        data = ex.data
        entries = data.get("entries") if isinstance(data, dict) else None
        if ex.status != 200 or not isinstance(entries, list) or not entries:
            break
        first = entries[0].get("$id") if isinstance(entries[0], dict) else None
        if page and first == previous_first:  # a server that ignores offset: stop paging
            break
        previous_first = first
        for entry in entries:
            if isinstance(entry, dict) and marker in str(entry.get("url", "")):
                entry_id = entry.get("$id")
                if isinstance(entry_id, str):
                    found.append(entry_id)
        offset += len(entries)
    return found
