"""Fixtures for the reference server tests: an injectable clock, in-process clients, and the
two backends every storage/cache/limit test runs on.

`backend` is "sqlite" (SQLite + in-process limiter and cache, the embedded default) or
"postgres" (PostgreSQL + Redis, the multi-instance deployment), each a real server started
once per session (tests/real_servers.py). Tests marked `sqlite_only` drive the in-process
limiter or cache TTL with the fake clock, which Redis' own clock cannot follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import psycopg
import pytest

from reference_server import Settings
from reference_server.storage.postgres_migrate import migrate
from reference_server.testing import FakeClock, inprocess_client
from tests.real_servers import PostgresServer, RedisServer, server_dir

API_KEYS = {
    "key-team-a-primary": "team_a",
    "key-team-a-secondary": "team_a",
    "key-team-b": "team_b",
}
# Generous limits for tests that are not about rate limiting.
NO_LIMITS = {"write": 100_000, "read": 100_000, "batch": 100_000}
BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "subprocess: starts a real `python -m reference_server`")
    config.addinivalue_line(
        "markers", "sqlite_only: runs on the embedded backend only (fake-clock limits or TTLs)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        names = ["sqlite"] if only else list(BACKENDS)
        metafunc.parametrize("backend", names, indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with server_dir("postgres") as where, PostgresServer.started(where) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with server_dir("redis") as where, RedisServer.started(where) as server:
        yield server


@dataclass
class SharedStores:
    """One migrated database and one Redis, emptied before each test that uses them."""

    database_url: str
    redis: RedisServer

    def reset(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("TRUNCATE entries, audit, api_keys, team_sizes RESTART IDENTITY")
        self.redis.flush()

    def overrides(self) -> dict[str, Any]:
        return {"database_url": self.database_url, "redis_url": self.redis.url}


@pytest.fixture(scope="session")
def shared_stores(pg_server: PostgresServer, redis_server: RedisServer) -> SharedStores:
    url = pg_server.create_database("dnc_tests")
    asyncio.run(migrate(url))
    return SharedStores(url, redis_server)


@pytest.fixture
def stores(shared_stores: SharedStores) -> SharedStores:
    shared_stores.reset()
    return shared_stores


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = getattr(request, "param", "sqlite")
    return name


@pytest.fixture
def backend_settings(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "sqlite":
        return {}
    stores: SharedStores = request.getfixturevalue("stores")
    return stores.overrides()


@pytest.fixture
def auth() -> SimpleNamespace:
    """Authorization headers: two keys of team_a, one of team_b."""
    return SimpleNamespace(
        a={"Authorization": "Bearer key-team-a-primary"},
        a2={"Authorization": "Bearer key-team-a-secondary"},
        b={"Authorization": "Bearer key-team-b"},
        keys=API_KEYS,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_settings(clock: FakeClock, backend_settings: dict[str, Any]) -> Callable[..., Settings]:
    """Settings on the test's backend with the fake clock and no practical rate limits,
    unless overridden."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "api_keys": API_KEYS,
            "db_path": ":memory:",
            "rate_limits": NO_LIMITS,
            "clock": clock,
            **backend_settings,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with inprocess_client(make_settings()) as client:
        yield client
