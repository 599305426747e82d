"""The check cache: it serves repeats, expires after its TTL, and never outlives a write."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import anyio
import httpx
import pytest

from reference_server import Settings, embedded_app
from reference_server.storage import Entry, SqliteStorage
from reference_server.testing import FakeClock, inprocess_client, service_of

pytestmark = pytest.mark.anyio


@pytest.mark.sqlite_only  # the fake clock drives the TTL; Redis expires keys by its own clock
async def test_repeated_checks_are_served_from_cache_until_the_ttl_expires(
    client: httpx.AsyncClient, auth: SimpleNamespace, clock: FakeClock
) -> None:
    service = service_of(client)
    first = await client.get("/v1/dnc/check", params={"url": "in/ghost"}, headers=auth.a)
    assert first.json()["data"]["onList"] is False
    # Written behind the API's back: only a cache miss can notice it.
    await service.storage.add("team_a", "https://linkedin.com/in/ghost", actor="test", now_ms=0)
    clock.advance(299.0)
    cached = await client.get(
        "/v1/dnc/check", params={"url": "linkedin.com/in/GHOST"}, headers=auth.a
    )
    assert cached.json()["data"]["onList"] is False
    assert service.cache.hits == 1
    clock.advance(1.0)
    fresh = await client.get("/v1/dnc/check", params={"url": "in/ghost"}, headers=auth.a)
    assert fresh.json()["data"]["onList"] is True


async def test_cached_answers_are_per_team(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    await client.post("/v1/dnc", json={"url": "in/only-a"}, headers=auth.a)
    assert (await client.get("/v1/dnc/check?url=in/only-a", headers=auth.a)).json()["data"][
        "onList"
    ]
    b = await client.get("/v1/dnc/check?url=in/only-a", headers=auth.b)
    assert b.json()["data"]["onList"] is False


async def test_a_check_right_after_an_add_sees_it_even_when_not_listed_was_cached(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    assert not (await client.get("/v1/dnc/check?url=in/newbie", headers=auth.a)).json()["data"][
        "onList"
    ]
    await client.post("/v1/dnc", json={"url": "in/newbie"}, headers=auth.a2)
    after = await client.get("/v1/dnc/check?url=in/newbie", headers=auth.a)
    assert after.json()["data"]["onList"] is True


class _SlowReads(SqliteStorage):
    """Holds each lookup after it read the database, until the test lets it go."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.read_done = anyio.Event()
        self.release = anyio.Event()

    async def get_by_url(self, team_id: str, url: str) -> Entry | None:
        entry = await super().get_by_url(team_id, url)
        self.read_done.set()
        await self.release.wait()
        return entry

    async def team_entries(self, team_id: str, limit: int) -> list[Entry] | None:
        # Replicas answer a miss of a small team from its whole list (team_mirror).
        entries = await super().team_entries(team_id, limit)
        self.read_done.set()
        await self.release.wait()
        return entries


async def test_a_check_that_read_before_a_write_cannot_cache_its_stale_answer(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    storage = _SlowReads()
    async with embedded_app(make_settings(), storage=storage) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers: list[bool] = []

            async def slow_check() -> None:
                response = await client.get("/v1/dnc/check?url=in/racer", headers=auth.a)
                answers.append(response.json()["data"]["onList"])

            async with anyio.create_task_group() as tg:
                tg.start_soon(slow_check)
                await storage.read_done.wait()  # it read "not listed" ...
                added = await client.post("/v1/dnc", json={"url": "in/racer"}, headers=auth.a)
                assert added.status_code == 201  # ... then the add committed and invalidated
                storage.release.set()
            assert answers == [False]  # in flight before the add: may say false
            storage.release.set()
            after = await client.get("/v1/dnc/check?url=in/racer", headers=auth.a)
            assert after.json()["data"]["onList"] is True


async def test_a_zero_ttl_disables_the_cache(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    async with inprocess_client(make_settings(cache_ttl_s=0)) as client:
        await client.get("/v1/dnc/check?url=in/nocache", headers=auth.a)
        await client.get("/v1/dnc/check?url=in/nocache", headers=auth.a)
        assert service_of(client).cache.hits == 0
