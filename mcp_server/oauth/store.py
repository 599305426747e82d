"""Where the authorization server keeps its records: SQLite in the data dir by default.

Every record is a small JSON object under (kind, id) with an optional expiry: registered
clients, pending consent requests, authorization codes, access and refresh tokens (by digest)
and grants (the team key sealed, the scopes, who approved). `take` reads and deletes in one
step, so a code or a refresh token is used once even when two replicas race for it. Revoking
a grant deletes its record; every token looks its grant up, so revocation holds at once on
every replica that shares the store. `RedisGrantStore` is the same over Redis.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Protocol

import anyio

from dnc_kit.private_files import private_dir, touch_private

__all__ = ["GRANT_DB_NAME", "GrantStore", "Record", "RedisGrantStore", "SqliteGrantStore"]

GRANT_DB_NAME: Final = "mcp-oauth.db"
Record = dict[str, Any]


class GrantStore(Protocol):
    async def put(self, kind: str, key: str, value: Record, ttl_s: float | None) -> None: ...

    async def get(self, kind: str, key: str) -> Record | None: ...

    async def take(self, kind: str, key: str) -> Record | None:
        """The record, deleted in the same step: only one caller ever gets it."""
        ...

    async def discard(self, kind: str, key: str) -> None: ...

    async def aclose(self) -> None: ...


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (kind, id)
)
"""


class SqliteGrantStore:
    """`GrantStore` in one SQLite file, created 0600 in a 0700 folder."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        private_dir(path.parent)
        touch_private(path)
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 5000")
        # WAL, synced at checkpoints: a grant costs ~11 small writes, each an fsync otherwise
        # (measured 75 ms a grant before, see the report); a power cut may lose the last ones.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(_SCHEMA)
        self._puts = 0

    def __repr__(self) -> str:
        return f"SqliteGrantStore({str(self.path)!r})"

    async def _run(self, sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            with self._lock:
                return self._db.execute(sql, args).fetchall()

        return await anyio.to_thread.run_sync(run)

    async def put(self, kind: str, key: str, value: Record, ttl_s: float | None) -> None:
        now = self._clock()
        expires = None if ttl_s is None else now + ttl_s
        await self._run(
            "INSERT OR REPLACE INTO records (kind, id, value, expires_at) VALUES (?, ?, ?, ?)",
            (kind, key, json.dumps(value), expires),
        )
        self._puts += 1
        if self._puts % 200 == 0:  # expired records go now and then, not on every write
            await self._run("DELETE FROM records WHERE expires_at <= ?", (now,))

    async def get(self, kind: str, key: str) -> Record | None:
        rows = await self._run(
            "SELECT value FROM records WHERE kind = ? AND id = ?"
            " AND (expires_at IS NULL OR expires_at > ?)",
            (kind, key, self._clock()),
        )
        return _loaded(rows[0][0]) if rows else None

    async def take(self, kind: str, key: str) -> Record | None:
        rows = await self._run(
            "DELETE FROM records WHERE kind = ? AND id = ?"
            " AND (expires_at IS NULL OR expires_at > ?) RETURNING value",
            (kind, key, self._clock()),
        )
        return _loaded(rows[0][0]) if rows else None

    async def discard(self, kind: str, key: str) -> None:
        await self._run("DELETE FROM records WHERE kind = ? AND id = ?", (kind, key))

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


def _loaded(raw: str | bytes) -> Record:
    value = json.loads(raw)
    assert isinstance(value, dict)
    return value


class RedisGrantStore:
    """`GrantStore` over a `redis.asyncio.Redis` client (closed with the store); Redis expires
    the records itself, and GETDEL is the atomic take."""

    def __init__(self, client: Any, *, prefix: str = "dnc-mcp:oauth:") -> None:
        self._redis = client
        self._prefix = prefix

    def __repr__(self) -> str:
        return "RedisGrantStore(<redis>)"

    @classmethod
    def from_url(cls, url: str) -> RedisGrantStore:
        import redis.asyncio

        return cls(redis.asyncio.Redis.from_url(url))

    def _key(self, kind: str, key: str) -> str:
        return f"{self._prefix}{kind}:{key}"

    async def put(self, kind: str, key: str, value: Record, ttl_s: float | None) -> None:
        px = None if ttl_s is None else max(1, math.ceil(ttl_s * 1000))
        await self._redis.set(self._key(kind, key), json.dumps(value), px=px)

    async def get(self, kind: str, key: str) -> Record | None:
        raw = await self._redis.get(self._key(kind, key))
        return _loaded(raw) if raw is not None else None

    async def take(self, kind: str, key: str) -> Record | None:
        raw = await self._redis.getdel(self._key(kind, key))
        return _loaded(raw) if raw is not None else None

    async def discard(self, kind: str, key: str) -> None:
        await self._redis.unlink(self._key(kind, key))

    async def aclose(self) -> None:
        await self._redis.aclose()
