"""Concurrency against a real SQLite file (worker threads, WAL) and storage guarantees."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import anyio
import pytest

from reference_server import Settings
from reference_server.storage import DeleteOutcome, SqliteStorage, Storage
from reference_server.storage.base import format_timestamp, new_entry_id
from reference_server.testing import inprocess_client

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("on_file", [False, True], ids=["memory", "file"])
async def test_fifty_concurrent_adds_of_one_url_make_one_201_and_forty_nine_409(
    make_settings: Callable[..., Settings], auth: SimpleNamespace, tmp_path: Path, on_file: bool
) -> None:
    db = tmp_path / "dnc.sqlite3" if on_file else ":memory:"
    async with inprocess_client(make_settings(db_path=db)) as client:
        statuses: list[int] = []

        async def add(i: int) -> None:
            spelling = [
                "in/Popular",
                "linkedin.com/in/popular/",
                "https://www.linkedin.com/in/popular",
            ]
            response = await client.post("/v1/dnc", json={"url": spelling[i % 3]}, headers=auth.a)
            statuses.append(response.status_code)

        async with anyio.create_task_group() as tg:
            for i in range(50):
                tg.start_soon(add, i)
        assert sorted(statuses) == [201] + [409] * 49
        listed = await client.get("/v1/dnc", headers=auth.a)
        assert listed.json()["data"]["total"] == 1


async def test_concurrent_checks_and_writes_on_a_file_all_succeed(
    make_settings: Callable[..., Settings], auth: SimpleNamespace, tmp_path: Path
) -> None:
    async with inprocess_client(make_settings(db_path=tmp_path / "db.sqlite3")) as client:
        failures: list[int] = []

        async def writer(i: int) -> None:
            response = await client.post("/v1/dnc", json={"url": f"in/w-{i:03d}"}, headers=auth.a)
            if response.status_code != 201:
                failures.append(response.status_code)

        async def reader(i: int) -> None:
            response = await client.get(f"/v1/dnc/check?url=in/w-{i:03d}", headers=auth.a)
            if response.status_code != 200:
                failures.append(response.status_code)

        async with anyio.create_task_group() as tg:
            for i in range(40):
                tg.start_soon(writer, i)
                tg.start_soon(reader, i)
        assert failures == []


async def test_sqlite_storage_satisfies_the_storage_protocol() -> None:
    assert isinstance(SqliteStorage(":memory:"), Storage)


async def test_entries_and_audit_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "dnc.sqlite3"
    storage = SqliteStorage(path)
    await storage.open()
    entry = await storage.add("t", "https://linkedin.com/in/keeper", actor="fp", now_ms=5)
    await storage.add_many(
        "t", ["https://linkedin.com/in/b1", "https://linkedin.com/in/b2"], actor="fp", now_ms=6
    )
    assert await storage.delete("t", entry.id, actor="fp", now_ms=7) is DeleteOutcome.DELETED
    await storage.close()

    reopened = SqliteStorage(path)
    await reopened.open()
    try:
        listed = await reopened.list_entries("t", limit=10, offset=0)
        assert [e.url[-2:] for e in listed] == ["b2", "b1"]
        assert [r.action for r in await reopened.audit_trail("t")] == [
            "add",
            "batch_add",
            "batch_add",
            "delete",
        ]
    finally:
        await reopened.close()


def test_the_database_runs_in_wal_mode_with_full_sync_and_the_documented_indexes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dnc.sqlite3"

    async def create() -> None:
        storage = SqliteStorage(path)
        await storage.open()
        await storage.close()

    anyio.run(create)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[1]: row[2] for row in conn.execute("PRAGMA index_list(entries)")}
        assert indexes["entries_team_url"] == 1  # unique
        assert "entries_team_created" in indexes
    finally:
        conn.close()


def test_ids_are_dnc_and_twenty_alphanumerics_and_timestamps_have_milliseconds() -> None:
    ids = {new_entry_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 24 and i.startswith("dnc_") and i[4:].isalnum() for i in ids)
    assert format_timestamp(1_763_461_800_007) == "2025-11-18T10:30:00.007Z"
    assert format_timestamp(0) == "1970-01-01T00:00:00.000Z"


async def test_a_storage_can_be_closed_and_reopened_in_place(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "again.sqlite3")
    await storage.open()
    await storage.add("t", "https://linkedin.com/in/first", actor="fp", now_ms=1)
    assert len(await storage.list_entries("t", limit=5, offset=0)) == 1
    await storage.close()
    await storage.open()
    try:
        await storage.add("t", "https://linkedin.com/in/second", actor="fp", now_ms=2)
        assert len(await storage.list_entries("t", limit=5, offset=0)) == 2
        assert await storage.get_by_url("t", "https://linkedin.com/in/first") is not None
    finally:
        await storage.close()


async def test_a_closed_storage_refuses_work_instead_of_using_a_dead_connection(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "closed.sqlite3")
    await storage.open()
    await storage.close()
    with pytest.raises(RuntimeError, match="not open"):
        await storage.get_by_url("t", "https://linkedin.com/in/x")


async def test_a_lookup_waits_in_a_thread_not_on_the_loop_while_a_memory_writer_works() -> None:
    storage = SqliteStorage(":memory:")
    await storage.open()
    try:
        await storage.add("t", "https://linkedin.com/in/present", actor="fp", now_ms=1)
        found: list[object] = []
        storage._thread_lock.acquire()  # as a batch transaction would hold it
        async with anyio.create_task_group() as tg:

            async def look() -> None:
                found.append(await storage.get_by_url("t", "https://linkedin.com/in/present"))

            tg.start_soon(look)
            await anyio.sleep(0.05)  # the loop stays free meanwhile: this sleep returns
            waited = not found
            # Released before asserting: a failure must not leave the worker thread blocked.
            storage._thread_lock.release()
        assert waited
        assert len(found) == 1
        assert found[0] is not None
    finally:
        await storage.close()
