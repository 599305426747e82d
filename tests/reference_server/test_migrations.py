"""`dnc db migrate`: idempotent, from an empty database and from every earlier version to the
same schema, keeping data; usable with a superuser's or the database owner's URL."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from dnc.main import main as dnc
from reference_server import Settings
from reference_server.storage.postgres_migrate import MigrationError, migrate
from reference_server.storage.postgres_schema import MIGRATIONS, latest_version
from reference_server.testing import inprocess_client
from tests.real_servers import PostgresServer

SCHEMA_QUERIES = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default, "
    "is_identity FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname = 'public' ORDER BY 1, 2",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
    "policies": "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check "
    "FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2",
    "security": "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
    "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1",
    "functions": "SELECT proname, pg_get_functiondef(oid), proacl::text FROM pg_proc "
    "WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
    "grants": "SELECT grantee, table_name, privilege_type FROM "
    "information_schema.role_table_grants WHERE table_schema = 'public' ORDER BY 1, 2, 3",
    "versions": "SELECT version, name FROM dnc_schema_migrations ORDER BY 1",
}


def schema_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in SCHEMA_QUERIES.items()}


def test_there_are_several_numbered_steps_in_order() -> None:
    versions = [step.version for step in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    assert len(versions) >= 3


def test_migrate_from_empty_is_idempotent_and_reports_what_it_did(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database("mig_idempotent")
    first = asyncio.run(migrate(url))
    assert (first.before, first.after) == (0, latest_version())
    again = asyncio.run(migrate(url))
    assert (again.before, again.after, again.applied) == (latest_version(), latest_version(), 0)


@pytest.mark.parametrize("start", range(1, latest_version()), ids=lambda v: f"from-v{v}")
def test_every_earlier_version_migrates_to_the_same_schema_and_keeps_its_data(
    pg_server: PostgresServer, start: int
) -> None:
    reference = pg_server.create_database("mig_reference")
    asyncio.run(migrate(reference))
    url = pg_server.create_database(f"mig_from_{start}")
    assert asyncio.run(migrate(url, target=start)).after == start
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO entries (id, team_id, url, created_ms) "
            "VALUES ('dnc_old', 'team_old', 'https://linkedin.com/in/old', 1)"
        )
    assert asyncio.run(migrate(url)).after == latest_version()
    assert schema_of(url) == schema_of(reference)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT id FROM entries").fetchall() == [("dnc_old",)]


def test_concurrent_migrations_of_one_database_queue_and_all_succeed(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database("mig_concurrent")

    async def race() -> list[int]:
        reports = await asyncio.gather(*(migrate(url) for _ in range(4)))
        return sorted(report.applied for report in reports)

    assert asyncio.run(race()) == [0, 0, 0, latest_version()]


def test_the_cli_migrates_and_reports_status(
    pg_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_server.create_database("mig_cli")
    assert dnc(["db", "status", "--database-url", url]) == 0
    assert "schema version 0 of" in capsys.readouterr().out
    assert dnc(["db", "migrate", "--database-url", url]) == 0
    assert f"to {latest_version()}" in capsys.readouterr().out
    assert dnc(["db", "migrate", "--database-url", url]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_an_unreachable_database_is_a_clear_error_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://nobody:secret-pw@127.0.0.1:1/none?connect_timeout=2"
    assert dnc(["db", "migrate", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to PostgreSQL" in err
    assert "Traceback" not in err
    assert "secret-pw" not in err


def _owner_url(pg_server: PostgresServer, owner: str, database: str) -> str:
    return pg_server.url(database).replace("postgres:@", f"{owner}:@", 1)


@pytest.fixture(scope="module")
def owner_database(pg_server: PostgresServer) -> str:
    """A database owned by a plain login role (no superuser, no CREATEROLE)."""
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS mig_owned WITH (FORCE)")
        conn.execute("DROP ROLE IF EXISTS dnc_owner")
        conn.execute("CREATE ROLE dnc_owner LOGIN")
    pg_server.create_database("mig_owned", owner="dnc_owner")
    return _owner_url(pg_server, "dnc_owner", "mig_owned")


def test_a_plain_owner_without_the_app_role_is_told_the_statements_to_run(
    pg_server: PostgresServer, owner_database: str
) -> None:
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("REVOKE dnc_app FROM dnc_owner")
    with pytest.raises(MigrationError, match="GRANT dnc_app TO"):
        asyncio.run(migrate(owner_database))


@pytest.mark.anyio
async def test_a_database_owner_can_migrate_and_serve_with_isolation_intact(
    pg_server: PostgresServer, owner_database: str, auth: SimpleNamespace
) -> None:
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("GRANT dnc_app TO dnc_owner")
    report = await migrate(owner_database)
    assert report.after == latest_version()
    settings = Settings(api_keys=auth.keys, database_url=owner_database)
    async with inprocess_client(settings) as client:
        added = await client.post("/v1/dnc", json={"url": "in/owned"}, headers=auth.a)
        assert added.status_code == 201
        entry_id = added.json()["data"]["$id"]
        assert (await client.delete(f"/v1/dnc/{entry_id}", headers=auth.b)).status_code == 403
        seen_by_b = await client.get("/v1/dnc/check?url=in/owned", headers=auth.b)
        assert seen_by_b.json()["data"]["onList"] is False
    # The owner itself is filtered too (FORCE): outside the server's context it sees nothing.
    with psycopg.connect(owner_database) as conn:
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (0,)


def test_serve_with_no_migrate_refuses_an_outdated_schema_and_names_the_fix(
    pg_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_server.create_database("mig_serve_outdated")
    asyncio.run(migrate(url, target=1))
    assert dnc(["serve", "--no-migrate", "--database-url", url, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "schema is at version 1" in err
    assert "dnc db migrate" in err
