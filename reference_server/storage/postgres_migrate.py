"""Apply the numbered migrations of `postgres_schema` (`dnc db migrate`, `dnc serve`).

Idempotent and safe to run from several instances at once: everything happens in one
transaction behind a transaction-scoped advisory lock, so concurrent runs queue and the later
ones find nothing to do; a failing step rolls the whole run back.

The URL may be a superuser's or the database owner's. The role `dnc_app` is cluster-wide:
it is created here when missing (this needs CREATEROLE), and the connecting role is granted
membership so it can `SET ROLE dnc_app`. A role that cannot do either gets a message saying
the two statements a superuser must run once.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from reference_server.storage.postgres_schema import APP_ROLE, MIGRATIONS, latest_version

__all__ = ["MigrationError", "MigrationReport", "migrate", "require_current", "schema_version"]

# Any constant shared by every dnc-kit instance; "dnc-kit" in ASCII.
_LOCK_ID = 0x646E_632D_6B69_74
_VERSIONS = """
CREATE TABLE IF NOT EXISTS dnc_schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The database cannot be brought to this dnc-kit's schema; the message says why."""


@dataclass(frozen=True, slots=True)
class MigrationReport:
    before: int
    after: int

    @property
    def applied(self) -> int:
        return self.after - self.before


async def schema_version(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> int:
    """The highest applied migration, 0 for a database dnc-kit never touched."""
    found = await (await conn.execute("SELECT to_regclass('dnc_schema_migrations')")).fetchone()
    if found is None or found[0] is None:
        return 0
    row = await (
        await conn.execute("SELECT coalesce(max(version), 0) FROM dnc_schema_migrations")
    ).fetchone()
    return int(str(row[0])) if row else 0


async def _ensure_app_role(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
    role = sql.Identifier(APP_ROLE)
    cursor = await conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = %s",
        (APP_ROLE,),
    )
    row = await cursor.fetchone()
    if row is None:
        try:
            async with conn.transaction():
                await conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOBYPASSRLS").format(role))
        except psycopg.errors.InsufficientPrivilege:
            raise MigrationError(_role_help("may not create roles")) from None
    elif row[0] or row[1]:
        raise MigrationError(
            f"role {APP_ROLE} is a superuser or has BYPASSRLS, so row-level security would not "
            f"apply to it: run ALTER ROLE {APP_ROLE} NOSUPERUSER NOBYPASSRLS NOLOGIN"
        )
    elif row[2]:
        raise MigrationError(f"role {APP_ROLE} must not log in: run ALTER ROLE {APP_ROLE} NOLOGIN")
    # PostgreSQL 16+ separates membership from the right to SET ROLE; older ones have MEMBER.
    cursor = await conn.execute(
        "SELECT pg_has_role(current_user, %s, "
        "CASE WHEN current_setting('server_version_num')::int >= 160000 "
        "THEN 'SET' ELSE 'MEMBER' END)",
        (APP_ROLE,),
    )
    member = await cursor.fetchone()
    if member is not None and member[0]:
        return
    try:
        async with conn.transaction():
            await conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(role))
    except psycopg.errors.InsufficientPrivilege:
        raise MigrationError(_role_help("may not grant itself the role")) from None


def _role_help(problem: str) -> str:
    return (
        f"the database user {problem} {APP_ROLE}. Run once as a superuser: "
        f"CREATE ROLE {APP_ROLE} NOLOGIN; GRANT {APP_ROLE} TO <this user> "
        "(or migrate with a superuser's URL)"
    )


async def migrate(url: str, *, target: int | None = None) -> MigrationReport:
    """Bring the database to `target` (default: the latest version)."""
    goal = latest_version() if target is None else target
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise MigrationError(f"cannot connect to PostgreSQL: {_first_line(error)}") from None
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            await _ensure_app_role(conn)
            await conn.execute(_VERSIONS)
            before = await schema_version(conn)
            if before > latest_version():
                raise MigrationError(
                    f"the database schema is at version {before}, newer than this dnc-kit "
                    f"knows ({latest_version()}): upgrade dnc-kit"
                )
            for step in MIGRATIONS:
                if before < step.version <= goal:
                    await conn.execute(step.sql.encode())
                    await conn.execute(
                        "INSERT INTO dnc_schema_migrations (version, name) VALUES (%s, %s)",
                        (step.version, step.name),
                    )
        return MigrationReport(before, max(before, goal))
    except psycopg.errors.InsufficientPrivilege as error:
        raise MigrationError(f"insufficient privilege: {_first_line(error)}") from None
    except psycopg.OperationalError as error:
        raise MigrationError(f"PostgreSQL failed during migration: {_first_line(error)}") from None
    finally:
        await conn.close()


async def require_current(url: str) -> None:
    """For `dnc serve --no-migrate`: refuse to serve a schema this code does not match."""
    try:
        async with await psycopg.AsyncConnection.connect(url, connect_timeout=10) as conn:
            version = await schema_version(conn)
    except psycopg.OperationalError as error:
        raise MigrationError(f"cannot connect to PostgreSQL: {_first_line(error)}") from None
    if version != latest_version():
        raise MigrationError(
            f"the database schema is at version {version}, this dnc-kit needs "
            f"{latest_version()}: run `dnc db migrate`"
        )


def _first_line(error: BaseException) -> str:
    # psycopg messages never include the password; keep only the first line (no hints/context).
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
