"""The Redis limiter and cache directly: one window for every app on one Redis, Redis' clock,
and generations that never restart at a value an in-flight check could have seen."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from reference_server import Settings
from reference_server.cache_redis import RedisCheckCache
from reference_server.redis_link import RedisLink
from reference_server.testing import inprocess_client
from tests.reference_server.conftest import API_KEYS, SharedStores

pytestmark = pytest.mark.anyio

A = {"Authorization": "Bearer key-team-a-primary"}


async def test_two_apps_on_one_redis_share_one_exact_window_on_redis_time(
    stores: SharedStores,
) -> None:
    settings = Settings(
        api_keys=API_KEYS,
        rate_window_s=1.0,
        **stores.overrides(),  # real time: Redis' clock
    )
    async with inprocess_client(settings) as one, inprocess_client(settings) as two:
        started_ms = time.time() * 1000
        answers: list[httpx.Response] = []
        for i in range(10):
            client = one if i % 2 else two
            answers.append(await client.post("/v1/dnc/batch", json={}, headers=A))
        assert [a.status_code for a in answers] == [400] * 10
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == [
            str(9 - i) for i in range(10)
        ]
        refused = await one.post("/v1/dnc/batch", json={}, headers=A)
        assert refused.status_code == 429
        reset = refused.json()["resetTime"]
        assert reset == int(answers[0].headers["x-ratelimit-reset"])
        assert started_ms - 100 < reset - 1000 <= time.time() * 1000 + 100
        await anyio.sleep(max(0.0, reset / 1000 - time.time()) + 0.05)
        assert (await two.post("/v1/dnc/batch", json={}, headers=A)).status_code == 400


async def test_a_missing_generation_starts_at_redis_time_in_microseconds(
    stores: SharedStores,
) -> None:
    link = RedisLink(stores.redis.url)
    await link.open()
    cache = RedisCheckCache(link, ttl_s=300)
    await cache.open()
    try:
        token, _ = await cache.lookup("team_gen", "https://linkedin.com/in/x")
        assert isinstance(token, str)
        assert abs(int(token) / 1_000_000 - time.time()) < 60
        await cache.after_write("team_gen")
        bumped, _ = await cache.lookup("team_gen", "https://linkedin.com/in/x")
        assert int(str(bumped)) == int(token) + 1
    finally:
        await cache.close()
        await link.close()
