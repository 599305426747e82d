"""Two `dnc serve` instances on one PostgreSQL + Redis, one of them with two workers: the
promises of the seed pages hold across processes as they do in one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import httpx
import pytest

from dnc.main import main as dnc
from tests.real_servers import PostgresServer, RedisServer
from tests.reference_server.instances import Instance, dnc_serve

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

KEY_A = "sk-multi-team-a-5f4e3d2c1b0a"
KEY_B = "sk-multi-team-b-0a1b2c3d4e5f"
A = {"Authorization": f"Bearer {KEY_A}"}
B = {"Authorization": f"Bearer {KEY_B}"}


@dataclass
class Deployment:
    database_url: str
    redis: RedisServer
    workers: Instance  # --workers 2
    single: Instance

    @property
    def urls(self) -> list[str]:
        return [self.workers.base_url, self.single.base_url]


@pytest.fixture(scope="module")
def deployment(pg_server: PostgresServer, redis_server: RedisServer) -> Iterator[Deployment]:
    url = pg_server.create_database("dnc_multi")
    assert dnc(["db", "migrate", "--database-url", url]) == 0
    env = {
        "DNC_API_KEYS": f"{KEY_A}:team_a,{KEY_B}:team_b",
        "DNC_RATE_WINDOW_S": "2",
        "DNC_DATABASE_URL": url,
        "DNC_REDIS_URL": redis_server.url,
    }
    with (
        dnc_serve("--workers", "2", "--no-access-log", env=env) as workers,
        dnc_serve("--no-access-log", env=env) as single,
    ):
        yield Deployment(url, redis_server, workers, single)


@pytest.fixture
def fresh(deployment: Deployment) -> Deployment:
    import psycopg

    with psycopg.connect(deployment.database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE entries, audit, team_sizes RESTART IDENTITY")
    deployment.redis.flush()
    return deployment


def test_workers_without_redis_are_refused_with_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert dnc(["serve", "--workers", "2", "--db", ":memory:"]) == 2
    assert "--workers 2 needs --redis-url" in capsys.readouterr().err


def test_a_check_on_one_instance_sees_an_add_made_through_the_other_at_once(
    fresh: Deployment,
) -> None:
    first, second = fresh.urls
    with httpx.Client() as client:
        for round_ in range(6):  # several connections: both workers of `first` answer
            slug = f"in/coherent-{round_}"
            before = client.get(f"{second}/v1/dnc/check", params={"url": slug}, headers=A)
            assert before.json()["data"]["onList"] is False  # now cached as "not listed"
            cached = client.get(f"{first}/v1/dnc/check", params={"url": slug}, headers=A)
            assert cached.json()["data"]["onList"] is False
            added = httpx.post(f"{first}/v1/dnc", json={"url": slug}, headers=A)
            assert added.status_code == 201
            for base in (second, first):
                after = httpx.get(f"{base}/v1/dnc/check", params={"url": slug}, headers=A)
                assert after.json()["data"]["entry"]["$id"] == added.json()["data"]["$id"]
            deleted = httpx.delete(f"{second}/v1/dnc/{added.json()['data']['$id']}", headers=A)
            assert deleted.status_code == 200
            gone = httpx.get(f"{first}/v1/dnc/check", params={"url": slug}, headers=A)
            assert gone.json()["data"]["onList"] is False


async def _burst(
    requests: list[tuple[str, dict[str, str], dict[str, str]]],
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(client.post(url, json=body, headers=headers) for url, body, headers in requests)
        )


def test_the_write_limit_holds_summed_over_every_worker_and_instance(fresh: Deployment) -> None:
    requests = [
        (f"{fresh.urls[i % 2]}/v1/dnc", {"url": f"in/limited-{i:03d}"}, B) for i in range(60)
    ]
    statuses = sorted(r.status_code for r in asyncio.run(_burst(requests)))
    assert statuses == [201] * 30 + [429] * 30
    refused = httpx.post(f"{fresh.urls[1]}/v1/dnc", json={"url": "in/one-more"}, headers=B)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limit_exceeded"
    assert body["resetTime"] == int(refused.headers["x-ratelimit-reset"])
    assert refused.headers["retry-after"] in {"1", "2"}


def test_fifty_concurrent_adds_of_one_url_over_both_instances_make_exactly_one_entry(
    fresh: Deployment,
) -> None:
    spellings = ["in/Popular", "linkedin.com/in/popular/", "https://www.linkedin.com/in/popular"]
    requests = [(f"{fresh.urls[i % 2]}/v1/dnc", {"url": spellings[i % 3]}, A) for i in range(50)]
    statuses = [r.status_code for r in asyncio.run(_burst(requests))]
    # The write bucket admits 30 of the 50: one of them adds, the other 29 find it listed.
    assert statuses.count(201) == 1
    assert statuses.count(409) == 29
    assert statuses.count(429) == 20
    listed = httpx.get(f"{fresh.urls[0]}/v1/dnc", headers=A).json()["data"]["entries"]
    assert [e["url"] for e in listed] == ["https://linkedin.com/in/popular"]


def test_a_kill_9_of_one_instance_during_writes_loses_no_acknowledged_write(
    pg_server: PostgresServer, redis_server: RedisServer, fresh: Deployment
) -> None:
    env = {
        "DNC_API_KEYS": f"{KEY_A}:team_a",
        "DNC_RATE_WINDOW_S": "0.05",  # ten batches per 50 ms: the writers are not held back
        "DNC_DATABASE_URL": fresh.database_url,
        "DNC_REDIS_URL": redis_server.url,
    }
    acknowledged: set[str] = set()
    with dnc_serve("--workers", "2", "--no-access-log", env=env) as victim:

        async def write_until_killed() -> None:
            async with httpx.AsyncClient(base_url=victim.base_url, timeout=10) as client:

                async def writer(w: int) -> None:
                    for i in range(1000):
                        body = {"entries": [{"url": f"in/durable-{w}-{i}-{j}"} for j in range(5)]}
                        try:
                            response = await client.post("/v1/dnc/batch", json=body, headers=A)
                        except httpx.HTTPError:
                            return  # the instance is gone: this write was never acknowledged
                        if response.status_code == 201:
                            acknowledged.update(
                                d["url"] for d in response.json()["data"]["details"]
                            )

                async def killer() -> None:
                    with anyio.fail_after(60):
                        while len(acknowledged) < 150:  # noqa: ASYNC110 (polls a set)
                            await asyncio.sleep(0.01)
                    victim.kill()

                await asyncio.gather(killer(), *(writer(w) for w in range(4)))

        asyncio.run(write_until_killed())
        with pytest.raises(httpx.ConnectError):  # its workers died with it
            httpx.get(f"{victim.base_url}/v1/dnc", headers=A)
    assert len(acknowledged) >= 150
    with httpx.Client(base_url=fresh.urls[1]) as client:
        stored: set[str] = set()
        for offset in range(0, 100_000, 1000):
            page = client.get(f"/v1/dnc?limit=1000&offset={offset}", headers=A).json()["data"]
            stored |= {entry["url"] for entry in page["entries"]}
            if page["total"] < 1000:
                break
    assert acknowledged <= stored
