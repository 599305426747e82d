"""Scopes of stored keys (`dnc keys create --scope read`): the API refuses an operation beyond
the key's scopes with 403 `insufficient_scope` (openapi.yaml decision key-scopes), on SQLite and
on PostgreSQL; keys without `--scope`, configured keys and keys stored before scopes existed
keep every operation."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import anyio.to_thread
import psycopg
import pytest

from dnc.main import main as dnc
from reference_server import Settings
from reference_server.auth import key_digest
from reference_server.storage.postgres_migrate import migrate
from reference_server.testing import FakeClock, inprocess_client
from tests.real_servers import PostgresServer
from tests.reference_server.conftest import SharedStores

pytestmark = pytest.mark.anyio


@pytest.fixture
def where(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "sqlite":
        db = str(tmp_path / "scopes.sqlite3")
        return {"cli": ["--db", db], "settings": {"db_path": db}}
    stores: SharedStores = request.getfixturevalue("stores")
    url = stores.database_url
    return {"cli": ["--database-url", url], "settings": {"database_url": url}}


async def keys(where: dict[str, Any], *args: str) -> int:
    status: int = await anyio.to_thread.run_sync(dnc, ["keys", *where["cli"], *args])
    return status


async def create(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], team: str, *scope_args: str
) -> str:
    assert await keys(where, "create", "--team", team, *scope_args) == 0
    return capsys.readouterr().out.strip()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_refused_for(response: Any, scope: str) -> None:
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "message": f"This API key does not have the '{scope}' scope",
    }
    challenge = response.headers["www-authenticate"]
    assert challenge == f'Bearer error="insufficient_scope", scope="{scope}"'
    # Refused before the limiter: the team's budget is untouched, so no rate headers.
    assert "x-ratelimit-remaining" not in response.headers


async def test_a_read_only_key_checks_and_lists_but_cannot_add_batch_or_delete(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    full = await create(where, capsys, "team_scoped")
    read_only = await create(where, capsys, "team_scoped", "--scope", "read")
    settings = Settings(api_keys={}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        added = await client.post("/v1/dnc", json={"url": "in/kept"}, headers=bearer(full))
        entry_id = added.json()["data"]["$id"]
        check = await client.get("/v1/dnc/check?url=in/kept", headers=bearer(read_only))
        assert check.json()["data"]["onList"] is True
        listed = await client.get("/v1/dnc", headers=bearer(read_only))
        assert [e["$id"] for e in listed.json()["data"]["entries"]] == [entry_id]

        add = await client.post("/v1/dnc", json={"url": "in/new"}, headers=bearer(read_only))
        assert_refused_for(add, "write")
        batch = await client.post(
            "/v1/dnc/batch", json={"entries": [{"url": "in/new"}]}, headers=bearer(read_only)
        )
        assert_refused_for(batch, "write")
        delete = await client.delete(f"/v1/dnc/{entry_id}", headers=bearer(read_only))
        assert_refused_for(delete, "delete")

        after = await client.get("/v1/dnc", headers=bearer(full))
        assert [e["$id"] for e in after.json()["data"]["entries"]] == [entry_id]


async def test_scopes_combine_from_repeated_and_comma_separated_flags(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    writer = await create(where, capsys, "team_w", "--scope", "write,delete")
    reader_deleter = await create(where, capsys, "team_w", "--scope", "read", "--scope", "delete")
    settings = Settings(api_keys={}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        added = await client.post("/v1/dnc", json={"url": "in/writer"}, headers=bearer(writer))
        assert added.status_code == 201
        entry_id = added.json()["data"]["$id"]
        assert_refused_for(
            await client.get("/v1/dnc/check?url=in/writer", headers=bearer(writer)), "read"
        )
        assert_refused_for(await client.get("/v1/dnc", headers=bearer(writer)), "read")
        assert_refused_for(
            await client.post("/v1/dnc", json={"url": "in/x"}, headers=bearer(reader_deleter)),
            "write",
        )
        deleted = await client.delete(f"/v1/dnc/{entry_id}", headers=bearer(reader_deleter))
        assert deleted.status_code == 200
    assert await keys(where, "list") == 0
    listing = capsys.readouterr().out
    assert "write,delete" in listing
    assert "read,delete" in listing


async def test_a_key_created_without_scope_and_a_configured_key_may_do_everything(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    stored = await create(where, capsys, "team_all")
    settings = Settings(api_keys={"env-key": "team_env"}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        for key in (stored, "env-key"):
            added = await client.post("/v1/dnc", json={"url": "in/all"}, headers=bearer(key))
            assert added.status_code == 201
            batch = await client.post(
                "/v1/dnc/batch", json={"entries": [{"url": "in/b"}]}, headers=bearer(key)
            )
            assert batch.status_code == 201
            check = await client.get("/v1/dnc/check?url=in/all", headers=bearer(key))
            assert check.status_code == 200
            gone = await client.delete(
                f"/v1/dnc/{added.json()['data']['$id']}", headers=bearer(key)
            )
            assert gone.status_code == 200
    assert await keys(where, "list") == 0
    assert "read,write,delete" in capsys.readouterr().out


async def test_an_unknown_or_empty_scope_is_a_clear_error_and_creates_no_key(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await keys(where, "create", "--team", "t", "--scope", "read,admin") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "unknown scope 'admin': use read, write, delete" in err
    assert "Traceback" not in err
    assert await keys(where, "create", "--team", "t", "--scope", " , ") == 2
    assert "at least one scope" in capsys.readouterr().err
    assert await keys(where, "list") == 0
    assert capsys.readouterr().out.count("\n") == 1  # the header line only


async def test_the_mcp_spelling_of_a_scope_is_accepted(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    key = await create(where, capsys, "team_mcp", "--scope", "dnc:read")
    settings = Settings(api_keys={}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        assert (await client.get("/v1/dnc", headers=bearer(key))).status_code == 200
        add = await client.post("/v1/dnc", json={"url": "in/m"}, headers=bearer(key))
        assert_refused_for(add, "write")


OLD_SQLITE_KEYS = """
CREATE TABLE api_keys (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    team_id     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    digest      BLOB    NOT NULL UNIQUE,
    fingerprint TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
);
"""


async def test_a_key_in_a_sqlite_file_from_before_scopes_keeps_every_operation(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_SQLITE_KEYS)
        conn.execute(
            "INSERT INTO api_keys (id, team_id, name, digest, fingerprint, created_ms) "
            "VALUES ('key_old', 'team_old', '', ?, 'fp', 1)",
            (key_digest("dnck_old"),),
        )
    conn.close()
    settings = Settings(api_keys={}, clock=clock, db_path=str(db))
    async with inprocess_client(settings) as client:
        added = await client.post("/v1/dnc", json={"url": "in/old"}, headers=bearer("dnck_old"))
        assert added.status_code == 201
        gone = await client.delete(
            f"/v1/dnc/{added.json()['data']['$id']}", headers=bearer("dnck_old")
        )
        assert gone.status_code == 200


def test_a_postgres_key_stored_before_the_scopes_migration_keeps_every_scope(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database("scopes_from_v4")
    asyncio.run(migrate(url, target=4))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET dnc.definer = 'on'")
        conn.execute(
            "INSERT INTO api_keys (id, team_id, name, digest, fingerprint, created_ms) "
            "VALUES ('key_old', 'team_old', '', %s, 'fp', 1)",
            (key_digest("dnck_old"),),
        )
    asyncio.run(migrate(url))
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT team_id, scopes FROM dnc_find_key(%s)", (key_digest("dnck_old"),)
        ).fetchone()
    assert row == ("team_old", "read write delete")
