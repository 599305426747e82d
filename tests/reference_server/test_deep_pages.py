"""Deep list pages: past the middle of a long list a page is read from the oldest end, using
the team's entry count that triggers keep; the page must be exactly the page of the newest-
first order (same-millisecond ties newest first), after deletes, and on a file that predates
the count."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reference_server.storage import Entry, SqliteStorage, Storage
from reference_server.storage.postgres import PostgresStorage
from reference_server.storage.sqlite import FROM_OLDEST_AFTER
from tests.reference_server.conftest import SharedStores

pytestmark = pytest.mark.anyio

TEAM = "team_deep"
SIZE = 2 * FROM_OLDEST_AFTER + 501  # odd, and deeper than the threshold on both sides


def _newest_first(storage_rows: list[tuple[int, str, int]]) -> list[str]:
    """Ids by (created_ms, seq) descending: the documented order, computed independently."""
    return [entry_id for _, entry_id, _ in sorted(storage_rows, key=lambda r: (r[2], r[0]))][::-1]


def _all_rows(path: Path) -> list[tuple[int, str, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT seq, id, created_ms FROM entries WHERE team_id = ?", (TEAM,)
        ).fetchall()


async def _fill(storage: Storage) -> list[Entry]:
    added: list[Entry] = []
    for chunk in range(0, SIZE, 1000):
        urls = [
            f"https://linkedin.com/in/deep-{n:06d}" for n in range(chunk, min(SIZE, chunk + 1000))
        ]
        # Many entries share a millisecond: the tie order is what the deep pages must keep.
        stored = await storage.add_many(TEAM, urls, actor="test", now_ms=1_000 + chunk // 3000)
        added += [entry for entry in stored if entry is not None]
    await storage.add_many("team_other", ["https://linkedin.com/in/other"], actor="t", now_ms=5)
    return added


async def _assert_pages_match(storage: Storage, rows: list[tuple[int, str, int]]) -> None:
    expected = _newest_first(rows)
    size = len(expected)
    for offset in (0, FROM_OLDEST_AFTER - 1, FROM_OLDEST_AFTER, size // 2, size // 2 + 1,
                   size - 1000, size - 999, size - 1, size, size + 5):  # fmt: skip
        page = await storage.list_entries(TEAM, limit=1000, offset=offset)
        assert [entry.id for entry in page] == expected[offset : offset + 1000], offset


async def test_deep_pages_equal_the_newest_first_order_from_either_end(tmp_path: Path) -> None:
    path = tmp_path / "deep.sqlite3"
    storage = SqliteStorage(path)
    await storage.open()
    try:
        added = await _fill(storage)
        await _assert_pages_match(storage, _all_rows(path))
        for entry in added[::7]:
            await storage.delete(TEAM, entry.id, actor="test", now_ms=9_999)
        await _assert_pages_match(storage, _all_rows(path))
    finally:
        await storage.close()


async def test_a_file_written_before_team_sizes_existed_gets_exact_counts_on_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    storage = SqliteStorage(path)
    await storage.open()
    await _fill(storage)
    await storage.close()
    with sqlite3.connect(path) as conn:  # as the previous schema left it
        conn.executescript(
            "DROP TRIGGER entries_counted_in; DROP TRIGGER entries_counted_out;"
            "DROP TABLE team_sizes;"
            f"DELETE FROM entries WHERE team_id = '{TEAM}' AND seq % 5 = 0;"
        )
    reopened = SqliteStorage(path)
    await reopened.open()
    try:
        await _assert_pages_match(reopened, _all_rows(path))
    finally:
        await reopened.close()


def _pg_rows(url: str) -> list[tuple[int, str, int]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT seq, id, created_ms FROM entries WHERE team_id = %s", (TEAM,)
        ).fetchall()


async def test_deep_pages_on_postgresql_equal_the_newest_first_order_from_either_end(
    stores: SharedStores,
) -> None:
    storage = PostgresStorage(stores.database_url)
    await storage.open()
    try:
        added = await _fill(storage)
        await _assert_pages_match(storage, _pg_rows(stores.database_url))
        for entry in added[::7]:
            await storage.delete(TEAM, entry.id, actor="test", now_ms=9_999)
        await _assert_pages_match(storage, _pg_rows(stores.database_url))
    finally:
        await storage.close()


async def test_an_operators_truncate_of_entries_empties_the_counts_with_them(
    stores: SharedStores,
) -> None:
    """A count that outlived a TRUNCATE made the deep pages of the refilled list start from
    the wrong end, and a small team look too big for replicas to hold whole."""
    import psycopg

    storage = PostgresStorage(stores.database_url)
    await storage.open()
    try:
        await _fill(storage)
        with psycopg.connect(stores.database_url, autocommit=True) as conn:
            conn.execute("TRUNCATE entries")
        urls = [f"https://linkedin.com/in/after-{n}" for n in range(FROM_OLDEST_AFTER + 10)]
        for chunk in range(0, len(urls), 1000):
            await storage.add_many(TEAM, urls[chunk : chunk + 1000], actor="t", now_ms=7)
        await _assert_pages_match(storage, _pg_rows(stores.database_url))
        held = await storage.team_entries("team_other", 10)
        assert held == []  # counted 0 again, not the 1 of before the TRUNCATE
        with psycopg.connect(stores.database_url, autocommit=True) as conn:
            sizes: dict[str, int] = dict(
                conn.execute("SELECT team_id, entries FROM team_sizes").fetchall()
            )
        assert sizes == {TEAM: len(urls)}
    finally:
        await storage.close()
