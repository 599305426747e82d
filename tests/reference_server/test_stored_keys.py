"""Keys kept in the database (`dnc keys`): printed once, listed without the key, looked up by
digest, and refused by every instance within the key cache TTL after a revoke."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from dnc.main import main as dnc
from reference_server import Settings
from reference_server.testing import FakeClock, inprocess_client
from tests.reference_server.conftest import SharedStores

pytestmark = pytest.mark.anyio


@pytest.fixture
def where(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The CLI arguments and server settings of one database, SQLite file or PostgreSQL."""
    if backend == "sqlite":
        db = str(tmp_path / "keys.sqlite3")
        return {"cli": ["--db", db], "settings": {"db_path": db}}
    stores: SharedStores = request.getfixturevalue("stores")
    url = stores.database_url
    return {"cli": ["--database-url", url], "settings": {"database_url": url}}


async def keys(where: dict[str, Any], *args: str) -> int:
    """`dnc keys …` as a user runs it (its own event loop, so off this test's loop)."""
    status: int = await anyio.to_thread.run_sync(dnc, ["keys", *where["cli"], *args])
    return status


async def _create(where: dict[str, Any], capsys: pytest.CaptureFixture[str], team: str) -> str:
    assert await keys(where, "create", "--team", team, "--name", "ci") == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("dnck_")
    assert len(key) > 40
    assert "shown only now" in err
    return key


async def test_a_created_key_works_at_once_and_is_never_listed(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    key = await _create(where, capsys, "team_stored")
    assert await keys(where, "list") == 0
    listing = capsys.readouterr().out
    assert "team_stored" in listing
    assert key not in listing
    settings = Settings(api_keys={}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        headers = {"Authorization": f"Bearer {key}"}
        added = await client.post("/v1/dnc", json={"url": "in/stored"}, headers=headers)
        assert added.status_code == 201
        assert added.json()["data"]["teamId"] == "team_stored"
        wrong = await client.get("/v1/dnc", headers={"Authorization": f"Bearer {key}x"})
        assert wrong.status_code == 401


async def test_a_revoked_key_is_refused_once_the_key_cache_ttl_has_passed(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    key = await _create(where, capsys, "team_revoked")
    settings = Settings(api_keys={}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert (await client.get("/v1/dnc", headers=headers)).status_code == 200
        assert await keys(where, "list") == 0
        key_id = next(
            line.split()[0]
            for line in capsys.readouterr().out.splitlines()
            if "team_revoked" in line
        )
        assert await keys(where, "revoke", key_id) == 0
        assert "within 2 s" in capsys.readouterr().out
        clock.advance(settings.key_cache_ttl_s)
        refused = await client.get("/v1/dnc", headers=headers)
        assert refused.status_code == 401
    assert await keys(where, "revoke", key_id) == 1  # already revoked


async def test_keys_from_the_environment_keep_working_beside_stored_ones(
    where: dict[str, Any], capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    stored = await _create(where, capsys, "team_db")
    settings = Settings(api_keys={"env-key": "team_env"}, clock=clock, **where["settings"])
    async with inprocess_client(settings) as client:
        for key, team in [("env-key", "team_env"), (stored, "team_db")]:
            headers = {"Authorization": f"Bearer {key}"}
            added = await client.post("/v1/dnc", json={"url": "in/both"}, headers=headers)
            assert added.json()["data"]["teamId"] == team
