"""The Redis limiter and cache directly: one window for every app on one Redis, Redis' clock,
and generations that never restart at a value an in-flight check could have seen."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from reference_server import Settings
from reference_server.cache import MISS
from reference_server.cache_redis import RedisCheckCache
from reference_server.redis_link import RedisLink
from reference_server.testing import inprocess_client, service_of
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


async def test_an_answer_read_during_a_write_whose_end_never_comes_is_not_cached(
    stores: SharedStores,
) -> None:
    """Instance A begins a write and dies (or loses Redis) after its commit, before its
    post-commit bump; instance B read the database just before that commit. B must not cache
    its now stale "not listed" answer: a person who had just opted out would look contactable
    for the whole TTL."""
    link_a, link_b = RedisLink(stores.redis.url), RedisLink(stores.redis.url)
    for link in (link_a, link_b):
        await link.open()
    a, b = RedisCheckCache(link_a, ttl_s=300), RedisCheckCache(link_b, ttl_s=300)
    for cache in (a, b):
        await cache.open()
    url = "https://linkedin.com/in/opted-out-just-now"
    try:
        await a.before_write("team_race")
        token, cached = await b.lookup("team_race", url)
        assert cached is MISS
        await b.store("team_race", url, None, token)  # B's pre-commit read: not listed
        await b.close()  # waits for the background store
        b = RedisCheckCache(link_b, ttl_s=300)
        await b.open()
        _, cached = await b.lookup("team_race", url)
        assert cached is MISS, "a stale 'not listed' was cached while a write was in flight"
    finally:
        for cache in (a, b):
            await cache.close()
        for link in (link_a, link_b):
            await link.close()


async def test_answers_are_cached_again_once_the_write_has_ended(stores: SharedStores) -> None:
    link = RedisLink(stores.redis.url)
    await link.open()
    cache = RedisCheckCache(link, ttl_s=300)
    await cache.open()
    url = "https://linkedin.com/in/cached-after-write"
    try:
        await cache.before_write("team_after")
        await cache.after_write("team_after")
        token, _ = await cache.lookup("team_after", url)
        await cache.store("team_after", url, None, token)
        await cache.close()
        await cache.open()
        _, cached = await cache.lookup("team_after", url)
        assert cached is None  # a cached "not on the list", served without the database
    finally:
        await cache.close()
        await link.close()


def _redis_calls(url: str) -> dict[str, int]:
    """Calls per command since the stats were reset, those made inside scripts included."""
    import redis

    with redis.Redis.from_url(url) as client:
        stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


async def test_a_cached_check_is_one_redis_call_and_sees_a_write_of_another_instance_at_once(
    stores: SharedStores,
) -> None:
    """Admission, the generation and the answer travel in one script call; the answer this
    instance holds in memory is served only while that same call reports its generation."""
    import redis

    settings = Settings(api_keys=API_KEYS, **stores.overrides())
    url = "/v1/dnc/check?url=in/one-trip"
    async with inprocess_client(settings) as one, inprocess_client(settings) as two:
        assert (await one.get(url, headers=A)).json()["data"]["onList"] is False
        await anyio.sleep(0.2)  # the answer is stored after it was sent
        with redis.Redis.from_url(stores.redis.url) as admin:
            admin.config_resetstat()
        for _ in range(5):
            answer = await one.get(url, headers=A)
            assert answer.json()["data"]["onList"] is False
            assert answer.headers["x-ratelimit-remaining"]
        calls = _redis_calls(stores.redis.url)
        assert calls.pop("evalsha") == 5  # one round trip per check
        assert calls.pop("get") == 5  # the generation only: the answer came from memory
        window = {"time", "zremrangebyscore", "zcard", "zadd", "pexpire", "zrange"}
        admin = {"hello", "client", "config", "info"}  # this test's own connection
        assert set(calls) - admin <= window
        assert (
            await two.post("/v1/dnc", json={"url": "in/one-trip"}, headers=A)
        ).status_code == 201
        assert (await one.get(url, headers=A)).json()["data"]["onList"] is True


async def test_answers_are_cached_again_after_redis_forgets_its_scripts(
    stores: SharedStores,
) -> None:
    """Stores travel as bare EVALSHA in a pipeline; a SCRIPT FLUSH (as after a restart) costs
    at most one batch of them, never an error to the client."""
    import redis

    settings = Settings(api_keys=API_KEYS, **stores.overrides())
    async with inprocess_client(settings) as client:
        service = service_of(client)
        with redis.Redis.from_url(stores.redis.url) as admin:
            admin.script_flush()
        for n in range(3):
            answer = await client.get(f"/v1/dnc/check?url=in/flushed-{n}", headers=A)
            assert answer.status_code == 200
            await anyio.sleep(0.2)  # the stores are sent after the answers
        hits = service.cache.hits
        for n in range(3):
            await client.get(f"/v1/dnc/check?url=in/flushed-{n}", headers=A)
        assert service.cache.hits - hits >= 2  # the first store after the flush may be lost
