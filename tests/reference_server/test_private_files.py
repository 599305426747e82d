"""The reference server's SQLite file holds people's data: 0600 in a 0700 folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import anyio

from reference_server.storage import SqliteStorage


def test_a_new_sqlite_database_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        storage = SqliteStorage(tmp_path / "data" / "list.db")
        anyio.run(storage.open)
        anyio.run(storage.close)
    finally:
        os.umask(old)
    db = tmp_path / "data" / "list.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
