"""One script's calls of one event-loop turn travel as one pipeline (reference_server.redis_batch),
against the real Redis: answers stay per call, and a forgotten script or a dead Redis never
leaves a caller hanging."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
import redis

from reference_server.errors import ServiceUnavailable
from reference_server.redis_batch import BatchedScript
from reference_server.redis_link import RedisLink
from tests.processes import free_port
from tests.reference_server.conftest import SharedStores

pytestmark = pytest.mark.anyio

# Echoes its argument doubled; fails (a Lua error) for the argument "boom".
DOUBLE = """
if ARGV[1] == 'boom' then return redis.error_reply('boom') end
redis.call('INCR', KEYS[1])
return tonumber(ARGV[1]) * 2
"""


@pytest.fixture
async def link(stores: SharedStores) -> AsyncIterator[RedisLink]:
    opened = RedisLink(stores.redis.url)
    await opened.open()
    yield opened
    await opened.close()


def _evalsha_calls(url: str) -> int:
    with redis.Redis.from_url(url) as admin:
        stats = admin.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_calls_made_in_one_turn_are_one_pipeline_with_an_answer_each(
    link: RedisLink, stores: SharedStores
) -> None:
    script = BatchedScript(link, DOUBLE)
    answers: dict[int, int] = {}

    async def call(n: int) -> None:
        answers[n] = await script(["batch:counter"], [n])

    with redis.Redis.from_url(stores.redis.url) as admin:
        admin.script_load(DOUBLE)
        admin.config_resetstat()
    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(call, n)
    assert answers == {n: 2 * n for n in range(20)}
    assert script.batches == 1
    assert _evalsha_calls(stores.redis.url) == 20
    with redis.Redis.from_url(stores.redis.url) as admin:
        assert admin.get("batch:counter") == b"20"
    await script.close()


async def test_a_script_redis_forgot_is_loaded_again_and_no_call_is_lost(
    link: RedisLink, stores: SharedStores
) -> None:
    script = BatchedScript(link, DOUBLE)
    with redis.Redis.from_url(stores.redis.url) as admin:
        admin.script_flush()
    results: list[int] = []

    async def call(n: int) -> None:
        results.append(await script(["batch:flushed"], [n]))

    async with anyio.create_task_group() as tg:
        for n in range(5):
            tg.start_soon(call, n)
    assert sorted(results) == [0, 2, 4, 6, 8]
    await script.close()


async def test_an_error_reply_fails_its_own_call_and_the_others_keep_their_answers(
    link: RedisLink,
) -> None:
    script = BatchedScript(link, DOUBLE)
    outcomes: dict[str, object] = {}

    async def call(arg: str) -> None:
        try:
            outcomes[arg] = await script(["batch:mixed"], [arg])
        except ServiceUnavailable as error:
            outcomes[arg] = error

    async with anyio.create_task_group() as tg:
        for arg in ("1", "boom", "3"):
            tg.start_soon(call, arg)
    assert outcomes["1"] == 2
    assert outcomes["3"] == 6
    assert isinstance(outcomes["boom"], ServiceUnavailable)
    await script.close()


async def test_every_call_of_a_batch_fails_fast_when_redis_is_unreachable() -> None:
    dead = RedisLink(f"redis://127.0.0.1:{free_port()}/0")
    await dead.open()
    script = BatchedScript(dead, DOUBLE)
    failures: list[BaseException] = []

    async def call(n: int) -> None:
        try:
            await script(["batch:dead"], [n])
        except ServiceUnavailable as error:
            failures.append(error)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for n in range(10):
                tg.start_soon(call, n)
    assert len(failures) == 10
    assert not dead.available  # the breaker tripped: the next calls fail at once
    await script.close()
    await dead.close()
