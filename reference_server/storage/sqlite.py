"""SQLite backend: one file, WAL, one serialized writer and one reader connection per thread.

Durability: `journal_mode=WAL` with `synchronous=FULL`, so every commit is fsynced before the
API answers. WAL + NORMAL would already survive `kill -9` of the process (the WAL lives in the
OS page cache), but not a power cut; a Do-Not-Contact list is a compliance record, and writes
are rate limited to a few per second per team, so the fsync per commit is affordable.

Concurrency: SQLite calls block, so they run in worker threads (`anyio.to_thread`) and the
event loop keeps serving. Writers are serialized with an `anyio.Lock` on the loop side, so a
queue of writes waits without holding threads; readers never wait for writers in WAL mode.
`:memory:` has no WAL and cannot share a database across connections, so it uses a single
connection behind a thread lock for everything.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from dnc_kit.private_files import touch_private
from reference_server.storage.base import (
    AuditRecord,
    DeleteOutcome,
    DuplicateEntryError,
    Entry,
    StoredKey,
    new_entry_id,
)
from reference_server.storage.sqlite_sql import (
    AUDIT,
    FIND_KEY,
    INSERT,
    INSERT_KEY,
    INSERTED_IDS,
    KEY_SCOPES_COLUMN,
    LIST,
    LIST_FROM_OLDEST,
    LIST_KEYS,
    REVOKE_KEY,
    SCHEMA,
    TEAM_SIZE,
    TEAM_SIZES,
)

__all__ = ["SqliteStorage", "has_active_keys"]

T = TypeVar("T")


class _Deferred:
    """Marker: the inline read could not run without blocking; use a worker thread."""


_DEFER = _Deferred()


def has_active_keys(path: str) -> bool:
    """Whether the SQLite file holds stored API keys that are not revoked (the CLI then
    creates no demo keys). A missing file or an older schema holds none."""
    if path == ":memory:" or path.startswith("file:") or not Path(path).is_file():
        return False
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT 1 FROM api_keys WHERE revoked_ms IS NULL LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return row is not None


# Below this offset the page is read from the newest end without looking at the team's size.
FROM_OLDEST_AFTER = 10_000


def _count_team_sizes(conn: sqlite3.Connection) -> None:
    """Add the per-team entry counts (and their triggers) to a file that has none yet."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if (
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'team_sizes'"
            ).fetchone()
            is None
        ):
            for statement in TEAM_SIZES:
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _entry(row: tuple[str, str, str, int]) -> Entry:
    return Entry(id=row[0], team_id=row[1], url=row[2], created_ms=row[3])


class SqliteStorage:
    """`Storage` on SQLite; `path` may be ":memory:" (tests, demos) or a file."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._memory = self._path == ":memory:" or self._path.startswith("file::memory:")
        self._writer: sqlite3.Connection | None = None
        self._write_lock = anyio.Lock()
        self._thread_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._loop_reader: sqlite3.Connection | None = None
        self._closed = True

    # -- lifecycle -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit.
        conn = sqlite3.connect(
            self._path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _connect_reader(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA query_only = ON")
        return conn

    def _open_sync(self) -> None:
        if not self._memory:
            # People's data: a new file is 0600 in a 0700 folder (SQLite gives its WAL and
            # shared-memory files the database file's mode).
            touch_private(Path(self._path))
        writer = self._connect()
        if not self._memory:
            writer.execute("PRAGMA journal_mode = WAL")
            writer.execute("PRAGMA synchronous = FULL")
        writer.executescript(SCHEMA)
        columns = {row[1] for row in writer.execute("PRAGMA table_info(api_keys)")}
        if "scopes" not in columns:
            writer.execute(KEY_SCOPES_COLUMN)
        _count_team_sizes(writer)
        self._writer = writer

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open_sync)
        self._closed = False

    async def close(self) -> None:
        async with self._write_lock:
            self._closed = True
            with self._thread_lock:
                for conn in self._readers:
                    conn.close()
                self._readers.clear()
                # Threads keep their closed connections in the old thread-local: forget them
                # all, so a reopened storage gives each thread a fresh connection.
                self._local = threading.local()
                if self._loop_reader is not None:
                    self._loop_reader.close()
                    self._loop_reader = None
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None

    # -- plumbing --------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect_reader()
            with self._thread_lock:
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    def _require_writer(self) -> sqlite3.Connection:
        if self._writer is None or self._closed:
            raise RuntimeError("storage is not open")
        return self._writer

    def _read_inline(self, work: Callable[[sqlite3.Connection], T]) -> T | _Deferred:
        """Run a bounded read on the event loop thread if that cannot block; else _DEFER."""
        if self._memory:
            if not self._thread_lock.acquire(blocking=False):
                return _DEFER  # a writer holds the only connection
            try:
                return work(self._require_writer())
            finally:
                self._thread_lock.release()
        if self._loop_reader is None:
            self._require_writer()
            self._loop_reader = self._connect_reader()
            # Never wait on the loop: a busy database sends the read to a thread instead.
            self._loop_reader.execute("PRAGMA busy_timeout = 0")
        try:
            return work(self._loop_reader)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return _DEFER
            raise

    async def _read(self, work: Callable[[sqlite3.Connection], T], *, inline: bool = False) -> T:
        # A primary-key or unique-index point lookup takes ~10-30 us: less than the hop to a
        # worker thread and back, so those run inline (measured: +~2x check throughput).
        # Anything whose cost grows with data (lists, audit) always goes to a thread.
        if inline and not self._closed:
            result = self._read_inline(work)
            if not isinstance(result, _Deferred):
                return result

        def run() -> T:
            if self._memory:
                with self._thread_lock:
                    return work(self._require_writer())
            self._require_writer()
            return work(self._reader())

        return await anyio.to_thread.run_sync(run)

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._thread_lock:
                conn = self._require_writer()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    # Also after a failed COMMIT (busy, I/O): never leave the writer mid-txn.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

        async with self._write_lock:
            # Cancelling the caller must not abandon a half-finished transaction.
            with anyio.CancelScope(shield=True):
                result = await anyio.to_thread.run_sync(run)
        return result

    # -- Storage ---------------------------------------------------------------------------

    async def add(self, team_id: str, url: str, *, actor: str, now_ms: int) -> Entry:
        def work(conn: sqlite3.Connection) -> Entry | None:
            entry = Entry(id=new_entry_id(), team_id=team_id, url=url, created_ms=now_ms)
            if conn.execute(INSERT, (entry.id, team_id, url, now_ms)).rowcount != 1:
                return None
            conn.execute(AUDIT, (now_ms, team_id, actor, "add", url, entry.id))
            return entry

        entry = await self._write(work)
        if entry is None:
            raise DuplicateEntryError(url)
        return entry

    async def add_many(
        self, team_id: str, urls: Sequence[str], *, actor: str, now_ms: int
    ) -> list[Entry | None]:
        def work(conn: sqlite3.Connection) -> list[Entry | None]:
            # One executemany (SQLite's own loop) and one query for which fresh ids made it
            # in: a duplicate, also of an earlier URL of this batch, leaves its id unused.
            ids = [new_entry_id() for _ in urls]
            conn.executemany(INSERT, zip(ids, repeat(team_id), urls, repeat(now_ms)))
            added = {row[0] for row in conn.execute(INSERTED_IDS, (json.dumps(ids),))}
            results: list[Entry | None] = [
                Entry(id=entry_id, team_id=team_id, url=url, created_ms=now_ms)
                if entry_id in added
                else None
                for entry_id, url in zip(ids, urls, strict=True)
            ]
            conn.executemany(
                AUDIT,
                (
                    (now_ms, team_id, actor, "batch_add", entry.url, entry.id)
                    for entry in results
                    if entry is not None
                ),
            )
            return results

        return await self._write(work)

    async def get_by_url(self, team_id: str, url: str) -> Entry | None:
        def work(conn: sqlite3.Connection) -> Entry | None:
            row = conn.execute(
                "SELECT id, team_id, url, created_ms FROM entries WHERE team_id = ? AND url = ?",
                (team_id, url),
            ).fetchone()
            return None if row is None else _entry(row)

        return await self._read(work, inline=True)

    async def team_entries(self, team_id: str, limit: int) -> list[Entry] | None:
        def work(conn: sqlite3.Connection) -> list[Entry] | None:
            rows = conn.execute(
                "SELECT id, team_id, url, created_ms FROM entries WHERE team_id = ? LIMIT ?",
                (team_id, limit + 1),
            ).fetchall()
            return None if len(rows) > limit else [_entry(row) for row in rows]

        return await self._read(work)

    async def list_entries(self, team_id: str, *, limit: int, offset: int) -> list[Entry]:
        def work(conn: sqlite3.Connection) -> list[Entry]:
            if offset < FROM_OLDEST_AFTER:
                rows = conn.execute(LIST, (team_id, limit, offset)).fetchall()
                return [_entry(row) for row in rows]
            # Size and page from one snapshot, so the page counted from the oldest end is
            # the page counted from the newest.
            conn.execute("BEGIN")
            try:
                row = conn.execute(TEAM_SIZE, (team_id,)).fetchone()
                size = 0 if row is None else int(row[0])
                if offset >= size:
                    rows = []
                elif offset > size // 2:
                    start = max(0, size - offset - limit)
                    page = (start, size - offset - start)
                    rows = conn.execute(LIST_FROM_OLDEST, (team_id, page[1], page[0])).fetchall()
                else:
                    rows = conn.execute(LIST, (team_id, limit, offset)).fetchall()
            finally:
                conn.execute("COMMIT")
            return [_entry(row) for row in rows]

        return await self._read(work)

    async def delete(
        self, team_id: str, entry_id: str, *, actor: str, now_ms: int
    ) -> DeleteOutcome:
        def work(conn: sqlite3.Connection) -> DeleteOutcome:
            row = conn.execute(
                "SELECT team_id, url FROM entries WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                return DeleteOutcome.NOT_FOUND
            if row[0] != team_id:
                return DeleteOutcome.OTHER_TEAM
            conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
            conn.execute(AUDIT, (now_ms, team_id, actor, "delete", row[1], entry_id))
            return DeleteOutcome.DELETED

        return await self._write(work)

    async def audit_trail(self, team_id: str | None = None) -> list[AuditRecord]:
        def work(conn: sqlite3.Connection) -> list[AuditRecord]:
            sql = "SELECT at_ms, team_id, key_fingerprint, action, url, entry_id FROM audit"
            params: tuple[str, ...] = ()
            if team_id is not None:
                sql += " WHERE team_id = ?"
                params = (team_id,)
            rows = conn.execute(sql + " ORDER BY seq", params).fetchall()
            return [AuditRecord(*row) for row in rows]

        return await self._read(work)

    # -- KeyStore ----------------------------------------------------------------------------

    async def find_key(self, digest: bytes) -> StoredKey | None:
        def work(conn: sqlite3.Connection) -> StoredKey | None:
            row = conn.execute(FIND_KEY, (digest,)).fetchone()
            return None if row is None else StoredKey(*row)

        return await self._read(work, inline=True)

    async def create_key(self, key: StoredKey, digest: bytes) -> None:
        def work(conn: sqlite3.Connection) -> None:
            values = (
                key.id,
                key.team_id,
                key.name,
                key.fingerprint,
                key.created_ms,
                digest,
                key.scopes,
            )
            conn.execute(INSERT_KEY, values)

        await self._write(work)

    async def list_keys(self) -> list[StoredKey]:
        def work(conn: sqlite3.Connection) -> list[StoredKey]:
            return [StoredKey(*row) for row in conn.execute(LIST_KEYS).fetchall()]

        return await self._read(work)

    async def revoke_key(self, key_id: str, *, now_ms: int) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            return conn.execute(REVOKE_KEY, (now_ms, key_id)).rowcount == 1

        return await self._write(work)
