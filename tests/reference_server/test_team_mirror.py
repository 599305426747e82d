"""Small teams' lists held whole per instance (reference_server.team_mirror): a check of such a
team, listed or not, is one Redis call; a write seen on any instance moves it back to the
database; a copy read during a write whose end never came is never served."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import anyio.lowlevel
import httpx
import pytest

from reference_server import Settings
from reference_server.app import embedded_app
from reference_server.cache import MISS
from reference_server.cache_redis import RedisCheckCache
from reference_server.check_gate import RedisCheckGate
from reference_server.errors import ServiceUnavailable
from reference_server.redis_link import RedisLink
from reference_server.storage import Entry
from reference_server.storage.postgres import PostgresStorage
from reference_server.team_mirror import MAX_TEAM, TeamMirror
from reference_server.testing import FakeClock
from tests.reference_server.conftest import API_KEYS, SharedStores

pytestmark = pytest.mark.anyio

A = {"Authorization": "Bearer key-team-a-primary"}
B = {"Authorization": "Bearer key-team-b"}
TEAM_A = API_KEYS["key-team-a-primary"]
URL = "https://linkedin.com/in/ann"


class CountingPostgres(PostgresStorage):
    """The real storage, counting the check's reads and whole-team reads."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.point_reads = 0
        self.team_reads = 0

    async def get_by_url(self, team_id: str, url: str) -> Entry | None:
        self.point_reads += 1
        return await super().get_by_url(team_id, url)

    async def team_entries(self, team_id: str, limit: int) -> list[Entry] | None:
        self.team_reads += 1
        return await super().team_entries(team_id, limit)


@dataclass
class Instance:
    client: httpx.AsyncClient
    storage: CountingPostgres
    mirror: TeamMirror

    async def listed(self, url: str, headers: dict[str, str] = A) -> bool:
        answer = await self.client.get("/v1/dnc/check", params={"url": url}, headers=headers)
        assert answer.status_code == 200, answer.text
        flag: bool = answer.json()["data"]["onList"]
        return flag

    async def settle(self, reads: int) -> None:
        """Wait until the background read number `reads` of the list has ended."""
        with anyio.fail_after(10):
            while self.storage.team_reads < reads or self.mirror.reading:  # noqa: ASYNC110
                await anyio.sleep(0.01)  # (polls another task's progress)


@asynccontextmanager
async def instance(stores: SharedStores) -> AsyncIterator[Instance]:
    storage = CountingPostgres(stores.database_url)
    settings = Settings(api_keys=API_KEYS, **stores.overrides())
    async with embedded_app(settings, storage=storage) as app:
        gate = app.state.backends.gate
        assert isinstance(gate, RedisCheckGate)
        assert gate.mirror is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Instance(client, storage, gate.mirror)


async def test_once_a_small_team_is_held_its_checks_listed_or_not_read_no_database(
    stores: SharedStores,
) -> None:
    async with instance(stores) as one:
        added = await one.client.post("/v1/dnc", json={"url": "in/held"}, headers=A)
        assert added.status_code == 201
        assert await one.listed("in/held")  # answered from the team's list, read whole
        assert (one.storage.team_reads, one.storage.point_reads) == (1, 0)
        await one.settle(1)
        before = one.storage.point_reads
        assert await one.listed("linkedin.com/in/held")
        assert not await one.listed("in/never-seen-1")
        assert not await one.listed("in/never-seen-2")
        assert one.storage.point_reads == before
        # Team isolation holds in the copies: team B's list is its own (empty).
        assert not await one.listed("in/held", B)


async def test_a_write_through_another_instance_is_seen_by_the_next_check_of_a_held_team(
    stores: SharedStores,
) -> None:
    async with instance(stores) as one, instance(stores) as two:
        assert not await one.listed("in/opted-out-later")
        await one.settle(1)
        added = await two.client.post("/v1/dnc", json={"url": "in/opted-out-later"}, headers=A)
        assert added.status_code == 201
        assert await one.listed("in/opted-out-later")
        await one.settle(2)  # held again, now with the entry
        reads = one.storage.point_reads
        assert await one.listed("in/opted-out-later")
        assert one.storage.point_reads == reads  # from the new copy
        entry_id = added.json()["data"]["$id"]
        assert (await two.client.delete(f"/v1/dnc/{entry_id}", headers=A)).status_code == 200
        assert not await one.listed("in/opted-out-later")


async def test_a_list_read_while_a_write_is_in_flight_is_never_served(
    stores: SharedStores,
) -> None:
    """Another instance began a write and died after its commit, before reporting its end:
    the generation never moves again. A copy read before that commit lacks the entry; it must
    not be installed, or the person who just opted out would look contactable."""
    link = RedisLink(stores.redis.url)
    await link.open()
    other = RedisCheckCache(link, ttl_s=300)
    await other.open()
    direct = PostgresStorage(stores.database_url)
    await direct.open()
    try:
        async with instance(stores) as one:
            assert not await one.listed("in/racing")
            await one.settle(1)
            await other.before_write(TEAM_A)  # ... and its end never comes
            assert not await one.listed("in/racing")  # the list is read again
            await one.settle(2)
            # The dead instance's commit lands after that read:
            await direct.add(TEAM_A, "https://linkedin.com/in/racing", actor="t", now_ms=1)
            assert await one.listed("in/racing")
            assert await one.listed("in/racing")
    finally:
        await direct.close()
        await other.close()
        await link.close()


async def test_a_team_bigger_than_the_bound_is_answered_from_the_database(
    stores: SharedStores,
) -> None:
    direct = PostgresStorage(stores.database_url)
    await direct.open()
    try:
        for start in range(0, MAX_TEAM + 1, 1000):
            urls = [f"https://linkedin.com/in/big-{n}" for n in range(start, start + 1000)]
            await direct.add_many(TEAM_A, urls, actor="t", now_ms=1)
    finally:
        await direct.close()
    async with instance(stores) as one:
        assert await one.listed("in/big-7")
        await one.settle(1)
        reads = one.storage.point_reads
        assert await one.listed(f"in/big-{MAX_TEAM}")
        assert not await one.listed("in/not-big")
        assert one.storage.point_reads == reads + 2
        assert one.storage.team_reads == 1  # resting: not read again on every check


# -- the mirror alone: injected reads, a settable clock ------------------------------------


def _entries(team: str, *names: str) -> list[Entry]:
    return [Entry(f"dnc_{n}", team, f"https://linkedin.com/in/{n}", 1) for n in names]


async def _drain(mirror: TeamMirror) -> None:
    for _ in range(20):
        await anyio.lowlevel.checkpoint()


async def test_a_copy_is_served_only_under_its_generation_and_within_the_ttl() -> None:
    clock = FakeClock()

    async def load(team: str, limit: int) -> list[Entry] | None:
        return _entries(team, "ann")

    async def current(team: str, generation: str) -> bool:
        return True

    mirror = TeamMirror(load, current, ttl_s=300, clock=clock)
    await mirror.read("t", URL, "7")
    await _drain(mirror)
    assert mirror.generation("t") == "7"
    held = mirror.answer("t", "https://linkedin.com/in/ann", "7")
    assert isinstance(held, Entry)
    assert (held.id, held.team_id) == ("dnc_ann", "t")
    assert mirror.answer("t", "https://linkedin.com/in/bob", "7") is None
    assert mirror.answer("t", "https://linkedin.com/in/ann", "8") is MISS  # a write moved it
    assert mirror.answer("u", "https://linkedin.com/in/ann", "7") is MISS  # another team
    clock.advance(300)
    assert mirror.generation("t") is None
    assert mirror.answer("t", "https://linkedin.com/in/ann", "7") is MISS
    await mirror.close()


@pytest.mark.parametrize(
    ("still_current", "failure", "held"),
    [
        (True, None, True),
        (False, None, False),  # the generation moved, or a write is in flight
        (True, ServiceUnavailable("postgresql"), False),
        (True, RuntimeError("boom"), False),  # any failure only costs the copy
    ],
)
async def test_a_copy_is_installed_only_when_its_read_succeeded_and_is_still_current(
    still_current: bool, failure: Exception | None, held: bool
) -> None:
    async def load(team: str, limit: int) -> list[Entry] | None:
        if failure is not None:
            raise failure
        return _entries(team, "ann")

    async def current(team: str, generation: str) -> bool:
        return still_current

    mirror = TeamMirror(load, current, ttl_s=300)
    await mirror.read("t", URL, "1")
    await _drain(mirror)
    assert (mirror.generation("t") == "1") is held
    await mirror.close()


async def test_the_oldest_copies_go_first_when_the_total_bound_is_reached() -> None:
    async def load(team: str, limit: int) -> list[Entry] | None:
        return _entries(team, "a", "b", "c")

    async def current(team: str, generation: str) -> bool:
        return True

    mirror = TeamMirror(load, current, ttl_s=300, max_total=7)
    for team in ("t1", "t2", "t3"):
        await mirror.read(team, URL, "1")
        await _drain(mirror)
    assert [mirror.generation(t) for t in ("t1", "t2", "t3")] == [None, "1", "1"]
    await mirror.close()


async def test_a_team_over_the_bound_is_not_read_again_until_it_has_rested() -> None:
    clock = FakeClock()
    reads: list[str] = []

    async def load(team: str, limit: int) -> list[Entry] | None:
        reads.append(team)
        return None

    async def current(team: str, generation: str) -> bool:
        return True

    mirror = TeamMirror(load, current, ttl_s=300, clock=clock)
    for _ in range(3):
        await mirror.read("big", URL, "1")
        await _drain(mirror)
    assert reads == ["big"]
    clock.advance(61)
    await mirror.read("big", URL, "1")
    await _drain(mirror)
    assert reads == ["big", "big"]
    await mirror.close()


async def test_checks_share_a_list_read_only_under_the_generation_it_was_read_at() -> None:
    """A check that saw a newer generation (a write ended since the read began) must not be
    answered from the older read: it may lack that write."""
    release = anyio.Event()
    reads: list[str] = []

    async def load(team: str, limit: int) -> list[Entry] | None:
        reads.append(team)
        await release.wait()
        return _entries(team, "zed")

    async def current(team: str, generation: str) -> bool:
        return False

    mirror = TeamMirror(load, current, ttl_s=300)
    answers: dict[str, object] = {}

    async def check(name: str, generation: str) -> None:
        answers[name] = await mirror.read("t", URL, generation)

    async with anyio.create_task_group() as tg:
        tg.start_soon(check, "first", "1")
        await _drain(mirror)
        tg.start_soon(check, "same generation", "1")
        tg.start_soon(check, "newer generation", "2")
        await _drain(mirror)
        release.set()
    assert reads == ["t"]
    assert answers == {"first": None, "same generation": None, "newer generation": MISS}
    await mirror.close()
