"""PostgreSQL backend: an async connection pool, every query as `dnc_app` inside its team.

Each unit of work is one transaction that starts with `SET LOCAL ROLE dnc_app` and
`set_config('dnc.team_id', team, true)`: both end with the transaction, so a pooled
connection never carries a role or a team into the next request, and row-level security
(see `postgres_schema`) filters every statement, even a buggy unfiltered one. Nothing here
bypasses the policies for a query; the two cross-team questions go through the narrow
SECURITY DEFINER functions, and only the operator paths (`audit_trail()` of all teams and
`dnc keys`) read as the owner.

Durability: PostgreSQL's default `synchronous_commit = on`; a call returns after its commit is
flushed, so an acknowledged write survives a kill -9 of the instance (or of PostgreSQL).

Round trips: each unit of work runs in pipeline mode, so BEGIN, the context, the statements
and the COMMIT travel together. A read is queued whole and its rows are read after the
pipeline's sync: one round trip instead of four. A write waits for its results only where the
next statement depends on them (an add's RETURNING decides whether to audit).

Outages: a pool that cannot get a connection within `WAIT_S` gives up; any connection failure
is `ServiceUnavailable` (503, decision outage-postgres). After one, calls fail fast for
`COOL_DOWN_S`, and the pool's idle connections are checked in the background, so the dead
connections a PostgreSQL restart leaves behind fail no further request. The pool reconnects by
itself: recovery needs no restart. (Checking every connection before each use would cost one
more round trip per request.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from dnc_kit.redaction import redact_url
from reference_server.errors import ServiceUnavailable
from reference_server.logs import log_event
from reference_server.storage.base import (
    AuditRecord,
    DeleteOutcome,
    DuplicateEntryError,
    Entry,
    StoredKey,
    new_entry_id,
)
from reference_server.storage.postgres_sql import (
    ADD,
    ADD_MANY,
    AUDIT,
    AUDIT_MANY,
    AUDIT_TRAIL,
    CHECK_ONE_TRIP,
    DELETE,
    FIND_KEY,
    IN_OTHER_TEAM,
    INSERT_KEY,
    LIST,
    LIST_FROM_OLDEST,
    LIST_KEYS,
    OWNER_CONTEXT,
    REVOKE_KEY,
    TEAM_BATCH_LOCK,
    TEAM_CONTEXT,
    TEAM_ONE_TRIP,
    TEAM_SIZE,
)

# Below this offset a page is read from the newest end without looking at the team's size.
FROM_OLDEST_AFTER = 10_000

__all__ = ["PostgresStorage"]

T = TypeVar("T")
Conn = psycopg.AsyncConnection[TupleRow]
Work = Callable[[Conn], Awaitable[T]]
Rows = list[TupleRow]

WAIT_S = 1.0
COOL_DOWN_S = 1.0
# A unit of work that PostgreSQL rolled back for a deadlock runs at most this often in all.
ROLLBACK_ATTEMPTS = 3
RECONNECT_S = 2.0
# Broken connections are replaced; a failed attempt gives up after RECONNECT_S so the pool
# grows again on demand once PostgreSQL is back, instead of backing off for minutes.


def _entry(row: Sequence[Any]) -> Entry:
    return Entry(id=row[0], team_id=row[1], url=row[2], created_ms=row[3])


class PostgresStorage:
    """`Storage` and `KeyStore` on PostgreSQL (schema from `postgres_migrate.migrate`)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self._url = url
        self._min, self._max = min_size, max_size
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._down_until = 0.0
        self._checking: asyncio.Future[None] | None = None
        self.failures = 0

    async def open(self) -> None:
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            self._url,
            min_size=self._min,
            max_size=self._max,
            open=False,
            kwargs={"autocommit": True},
            timeout=WAIT_S,
            reconnect_timeout=RECONNECT_S,
            name="dnc",
        )
        await pool.open(wait=False)
        self._pool = pool

    async def close(self) -> None:
        if self._checking is not None:
            self._checking.cancel()
            self._checking = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # -- plumbing --------------------------------------------------------------------------

    async def _run(self, context: str | None, param: str | None, work: Work[T]) -> T:
        """`work` in a transaction that begins with `context` (None: `work` is one simple-
        query message whose statements PostgreSQL runs as one implicit transaction)."""
        if self._pool is None:
            raise RuntimeError("storage is not open")
        if time.monotonic() < self._down_until:
            raise ServiceUnavailable("postgresql")
        for attempt in range(1, ROLLBACK_ATTEMPTS + 1):
            try:
                result = await self._attempt(context, param, work)
                break
            except pg_errors.TransactionRollback:
                # A deadlock or serialization failure rolled this unit of work back whole: it
                # is one caller's bad luck, not an outage, so it never trips the breaker that
                # would refuse every team; the whole transaction is safe to run again.
                if attempt == ROLLBACK_ATTEMPTS:
                    raise ServiceUnavailable("postgresql") from None
            except psycopg.OperationalError as error:
                self._trip(error)
                raise ServiceUnavailable("postgresql") from None
        if self.failures:
            log_event("postgresql_recovered", after_failures=self.failures)
            self.failures = 0
        return result

    async def _attempt(self, context: str | None, param: str | None, work: Work[T]) -> T:
        assert self._pool is not None
        async with self._pool.connection() as conn:
            if context is None:
                return await work(conn)
            async with conn.pipeline(), conn.transaction():
                await conn.execute(context, (param,) if param is not None else None)
                return await work(conn)

    def _trip(self, error: BaseException) -> None:
        self._down_until = time.monotonic() + COOL_DOWN_S
        self.failures += 1
        if self._pool is not None and not isinstance(error, PoolTimeout):
            # Weed out the other connections the failure may have killed, off the request path.
            self._checking = asyncio.ensure_future(self._pool.check())
        if self.failures == 1:
            log_event(
                "postgresql_unreachable",
                logging.WARNING,
                database=redact_url(self._url),
                error=type(error).__name__,
            )

    async def _team(self, team_id: str, work: Work[T]) -> T:
        """`work` as dnc_app, seeing only `team_id`'s rows."""
        return await self._run(TEAM_CONTEXT, team_id, work)

    async def _rows(
        self, team_id: str | None, query: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> Rows:
        """One read as dnc_app in `team_id` (None: as the owner), in a single round trip."""

        async def queue(conn: Conn) -> psycopg.AsyncCursor[TupleRow]:
            return await conn.execute(query, params)

        if team_id is None:
            cursor = await self._owner(queue)
        else:
            cursor = await self._team(team_id, queue)
        # The pipeline synced when the transaction closed: the rows are already here.
        return await cursor.fetchall()

    async def _owner(self, work: Work[T]) -> T:
        """Operator paths only: as the connecting role, across teams."""
        return await self._run(OWNER_CONTEXT, None, work)

    # -- Storage ---------------------------------------------------------------------------

    async def add(self, team_id: str, url: str, *, actor: str, now_ms: int) -> Entry:
        entry = Entry(id=new_entry_id(), team_id=team_id, url=url, created_ms=now_ms)

        async def work(conn: Conn) -> bool:
            cursor = await conn.execute(ADD, (entry.id, team_id, url, now_ms))
            if await cursor.fetchone() is None:
                return False
            await conn.execute(AUDIT, (now_ms, team_id, actor, "add", url, entry.id))
            return True

        if not await self._team(team_id, work):
            raise DuplicateEntryError(url)
        return entry

    async def add_many(
        self, team_id: str, urls: Sequence[str], *, actor: str, now_ms: int
    ) -> list[Entry | None]:
        # The first occurrence of a URL is the one inserted; later ones are duplicates.
        fresh = {url: new_entry_id() for url in dict.fromkeys(urls)}

        async def work(conn: Conn) -> set[str]:
            # One team's batches run one at a time: two batches listing shared URLs in other
            # orders would otherwise wait on each other's rows and deadlock.
            await conn.execute(TEAM_BATCH_LOCK, (team_id,))
            cursor = await conn.execute(
                ADD_MANY, (team_id, now_ms, list(fresh.values()), list(fresh))
            )
            added = {row[0] for row in await cursor.fetchall()}
            inserted = [url for url in fresh if url in added]
            if inserted:
                ids = [fresh[url] for url in inserted]
                await conn.execute(AUDIT_MANY, (now_ms, team_id, actor, inserted, ids))
            return added

        added = await self._team(team_id, work)
        results: list[Entry | None] = []
        for url in urls:
            if url in added:
                results.append(Entry(id=fresh[url], team_id=team_id, url=url, created_ms=now_ms))
                added.discard(url)
            else:
                results.append(None)
        return results

    async def get_by_url(self, team_id: str, url: str) -> Entry | None:
        # The check's read in ONE message and one execute call: the team context and the
        # query as a simple-protocol pair, which PostgreSQL runs as one implicit transaction
        # (so `set_config(…, true)` ends with it, as in `_team`). The values are quoted by
        # psycopg; no pipeline, BEGIN or COMMIT to drive (a quarter of the check's CPU).
        query = CHECK_ONE_TRIP.format(team=sql.Literal(team_id), url=sql.Literal(url))

        async def work(conn: Conn) -> TupleRow | None:
            cursor = conn.cursor()
            await cursor.execute(query)
            cursor.nextset()  # past the context's row
            return await cursor.fetchone()

        row = await self._run(None, None, work)
        return None if row is None else _entry(row)

    async def team_entries(self, team_id: str, limit: int) -> list[Entry] | None:
        # One message, as the check's read (`get_by_url`), and one statement (one snapshot):
        # the kept size on every row, and no row of a team whose size is over `limit`; a
        # stale size costs at most `limit` + 1 rows.
        query = TEAM_ONE_TRIP.format(team=sql.Literal(team_id), limit=sql.Literal(limit + 1))

        async def work(conn: Conn) -> list[TupleRow]:
            cursor = conn.cursor()
            await cursor.execute(query)
            cursor.nextset()  # past the context's row
            return await cursor.fetchall()

        rows = await self._run(None, None, work)
        size = rows[0][0] if rows else 0
        entries = [Entry(*row[1:]) for row in rows if row[1] is not None]
        if size > limit or len(entries) > limit:
            return None
        return entries

    async def list_entries(self, team_id: str, *, limit: int, offset: int) -> list[Entry]:
        page = {"team": team_id, "limit": limit, "offset": offset}
        if offset < FROM_OLDEST_AFTER:
            return [_entry(row) for row in await self._rows(team_id, LIST, page)]

        async def work(conn: Conn) -> list[TupleRow]:
            size = await (await conn.execute(TEAM_SIZE, (team_id,))).fetchone()
            # The direction only decides how many index entries are skipped; the page itself
            # is computed in one statement either way.
            query = LIST_FROM_OLDEST if size is not None and offset > size[0] // 2 else LIST
            return await (await conn.execute(query, page)).fetchall()

        return [_entry(row) for row in await self._team(team_id, work)]

    async def delete(
        self, team_id: str, entry_id: str, *, actor: str, now_ms: int
    ) -> DeleteOutcome:
        async def work(conn: Conn) -> DeleteOutcome:
            row = await (await conn.execute(DELETE, (entry_id, team_id))).fetchone()
            if row is not None:
                await conn.execute(AUDIT, (now_ms, team_id, actor, "delete", row[0], entry_id))
                return DeleteOutcome.DELETED
            other = await (await conn.execute(IN_OTHER_TEAM, (entry_id,))).fetchone()
            return DeleteOutcome.OTHER_TEAM if other and other[0] else DeleteOutcome.NOT_FOUND

        return await self._team(team_id, work)

    async def audit_trail(self, team_id: str | None = None) -> list[AuditRecord]:
        return [AuditRecord(*row) for row in await self._rows(team_id, AUDIT_TRAIL)]

    # -- KeyStore --------------------------------------------------------------------------

    async def find_key(self, digest: bytes) -> StoredKey | None:
        # As dnc_app with no team: only the SECURITY DEFINER function can answer.
        rows = await self._rows("", FIND_KEY, (digest,))
        return StoredKey(*rows[0]) if rows else None

    async def create_key(self, key: StoredKey, digest: bytes) -> None:
        async def work(conn: Conn) -> None:
            values = (
                key.id,
                key.team_id,
                key.name,
                key.fingerprint,
                key.created_ms,
                digest,
                key.scopes,
            )
            await conn.execute(INSERT_KEY, values)

        await self._owner(work)

    async def list_keys(self) -> list[StoredKey]:
        return [StoredKey(*row) for row in await self._rows(None, LIST_KEYS)]

    async def revoke_key(self, key_id: str, *, now_ms: int) -> bool:
        async def work(conn: Conn) -> bool:
            # RETURNING, not rowcount: in pipeline mode rowcount is known only after a sync.
            return await (await conn.execute(REVOKE_KEY, (now_ms, key_id))).fetchone() is not None

        return await self._owner(work)
