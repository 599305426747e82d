"""Redis and PostgreSQL killed under a running `dnc serve`, then started again: the documented
envelope (503 `service_unavailable`, Retry-After), never a stale answer, never a traceback,
and recovery without restarting the server (decisions outage-redis, outage-postgres)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from dnc.main import main as dnc
from tests.real_servers import PostgresServer, RedisServer, server_dir
from tests.reference_server.instances import Instance, dnc_serve

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

KEY = "sk-outage-team-a-1a2b3c4d5e6f"
AUTH = {"Authorization": f"Bearer {KEY}"}
KEY_B = "sk-outage-team-b-6f5e4d3c2b1a"
AUTH_B = {"Authorization": f"Bearer {KEY_B}"}
UNAVAILABLE = {
    "error": "service_unavailable",
    "message": "The service is temporarily unavailable. Please try again shortly.",
}


@pytest.fixture(scope="module")
def own_stores() -> Iterator[tuple[PostgresServer, RedisServer]]:
    """Servers of this module alone: the tests kill them."""
    with (
        server_dir("outage") as root,
        PostgresServer.started(root) as pg,
        RedisServer.started(root / "redis") as redis,
    ):
        yield pg, redis


@pytest.fixture
def instance(own_stores: tuple[PostgresServer, RedisServer]) -> Iterator[Instance]:
    pg, redis = own_stores
    url = pg.create_database("dnc_outage")
    assert dnc(["db", "migrate", "--database-url", url]) == 0
    env = {
        "DNC_API_KEYS": f"{KEY}:team_a,{KEY_B}:team_b",
        "DNC_DATABASE_URL": url,
        "DNC_REDIS_URL": redis.url,
    }
    with dnc_serve(env=env) as server:
        yield server


def _eventually(probe: Callable[[], bool], within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while not probe():
        assert time.monotonic() < deadline, "did not recover in time"
        time.sleep(0.2)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == UNAVAILABLE
    assert response.headers["retry-after"] == "1"


def _no_tracebacks(server: Instance) -> None:
    assert "Traceback" not in server.log
    assert "unhandled_error" not in server.log
    assert KEY not in server.log
    # Every line, the database driver's reconnection warnings included, is a JSON record.
    assert all(line.startswith(("{", "listening on ")) for line in server.lines), server.log


def test_with_redis_down_checks_read_the_database_and_limited_writes_answer_503(
    own_stores: tuple[PostgresServer, RedisServer], instance: Instance
) -> None:
    _, redis = own_stores
    with httpx.Client(base_url=instance.base_url, timeout=10) as client:
        listed = client.post("/v1/dnc", json={"url": "in/listed"}, headers=AUTH).json()["data"]
        for slug in ("in/listed", "in/unlisted"):  # both answers now cached in Redis
            client.get("/v1/dnc/check", params={"url": slug}, headers=AUTH)
        redis.kill()
        try:
            check = client.get("/v1/dnc/check", params={"url": "in/listed"}, headers=AUTH)
            assert check.status_code == 200
            assert check.json()["data"] == {"onList": True, "entry": listed}
            assert check.headers["x-ratelimit-limit"] == "60"  # the per-instance fallback
            unlisted = client.get("/v1/dnc/check", params={"url": "in/unlisted"}, headers=AUTH)
            assert unlisted.json()["data"]["onList"] is False
            _assert_unavailable(client.post("/v1/dnc", json={"url": "in/new"}, headers=AUTH))
            _assert_unavailable(client.delete(f"/v1/dnc/{listed['$id']}", headers=AUTH))
            _assert_unavailable(client.get("/v1/dnc", headers=AUTH))
            batch = {"entries": [{"url": "in/new"}]}
            _assert_unavailable(client.post("/v1/dnc/batch", json=batch, headers=AUTH))
        finally:
            redis.start()

        def add_works() -> bool:
            answer = client.post("/v1/dnc", json={"url": "in/new"}, headers=AUTH)
            return answer.status_code == 201

        _eventually(add_works)
        # Recovered for good: no connection left over from before the restart fails again.
        for _ in range(5):
            assert client.get("/v1/dnc", headers=AUTH).status_code == 200
        after = client.get("/v1/dnc/check", params={"url": "in/new"}, headers=AUTH)
        assert after.json()["data"]["onList"] is True
        # Nothing refused during the outage was written: in/new was added once, after it.
        assert len(client.get("/v1/dnc", headers=AUTH).json()["data"]["entries"]) == 2
    _no_tracebacks(instance)


def test_with_postgres_down_uncached_answers_are_503_and_the_pool_recovers(
    own_stores: tuple[PostgresServer, RedisServer], instance: Instance
) -> None:
    pg, _ = own_stores
    with httpx.Client(base_url=instance.base_url, timeout=15) as client:
        client.post("/v1/dnc", json={"url": "in/before"}, headers=AUTH)
        cached = client.get("/v1/dnc/check", params={"url": "in/before"}, headers=AUTH)
        assert cached.json()["data"]["onList"] is True
        # The instance keeps team A's whole (small) list once its read is confirmed, one
        # Redis call after that check was answered.
        time.sleep(1.0)
        pg.kill()
        try:
            # No write can commit while the database is down, so what is cached is current:
            # a held team's list answers both ways; another team's new URL needs the database.
            still = client.get("/v1/dnc/check", params={"url": "in/before"}, headers=AUTH)
            assert still.json()["data"]["onList"] is True
            held = client.get("/v1/dnc/check", params={"url": "in/uncached"}, headers=AUTH)
            assert held.status_code == 200, held.text
            assert held.json()["data"]["onList"] is False
            _assert_unavailable(
                client.get("/v1/dnc/check", params={"url": "in/uncached"}, headers=AUTH_B)
            )
            _assert_unavailable(client.post("/v1/dnc", json={"url": "in/during"}, headers=AUTH))
            _assert_unavailable(client.get("/v1/dnc", headers=AUTH))
            # A refused write still invalidated the team's answers: the next check asks the
            # database (503 now), never a cache that might predate a write.
            _assert_unavailable(
                client.get("/v1/dnc/check", params={"url": "in/before"}, headers=AUTH)
            )
        finally:
            pg.start()

        def add_works() -> bool:
            answer = client.post("/v1/dnc", json={"url": "in/during"}, headers=AUTH)
            return answer.status_code == 201

        _eventually(add_works)
        after = client.get("/v1/dnc/check", params={"url": "in/during"}, headers=AUTH)
        assert after.json()["data"]["onList"] is True
    _no_tracebacks(instance)
