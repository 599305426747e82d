"""Bulk runs end at once, with the cause named, when no request can succeed (a refused key, an
unreachable server), and leave room in each bucket for single requests of the same team."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import anyio
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from dnc_client import (
    AsyncDncClient,
    AuthenticationError,
    DncClient,
    DncUnreachableError,
    InvalidUrlError,
)
from dnc_client.pacing import AsyncPacer, PacingState
from tests.bulk_harness.servers import BASE, KEY, UNLIMITED, Counted, counting, person, reference

pytestmark = pytest.mark.anyio


@dataclass
class RefusingMobile:
    """The reference server, but `m.` hosts are refused as invalid URLs, as some deployments do."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] == "http" and b"m.linkedin.com" in query:
            body = b'{"error":"invalid_url","message":"Invalid LinkedIn URL format"}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def wrong_key_client(app: object, counted: Counted) -> AsyncDncClient:
    return AsyncDncClient(
        BASE,
        "sk_wrong_key_for_this_team",
        transport=counting(app, counted),  # type: ignore[arg-type]
        rate_limits=UNLIMITED,
    )


@pytest.mark.parametrize("count", [2, 300])
async def test_a_refused_key_ends_check_many_after_a_few_requests(count: int) -> None:
    async with reference(10) as ref:
        counted = Counted()
        urls = [f"http://www.linkedin.com/in/person-{n:05d}" for n in range(count)]
        async with wrong_key_client(ref.app, counted) as api:
            with pytest.raises(AuthenticationError) as raised:
                await api.check_many(urls)
    assert len(counted.sent) <= 8  # at most the checks already in flight
    assert raised.value.status == 401


async def test_a_refused_key_ends_add_many_after_one_batch() -> None:
    async with reference(0) as ref:
        counted = Counted()
        async with wrong_key_client(ref.app, counted) as api:
            with pytest.raises(AuthenticationError):
                await api.add_many([person(n) for n in range(2500)], chunk_size=1000)
    assert len(counted.sent) == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_server_ends_check_many_quickly_naming_its_url() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.monotonic()
    async with AsyncDncClient(base_url, "sk_any") as api:
        with pytest.raises(DncUnreachableError) as raised:
            await api.check_many([person(n) for n in range(500)])
    assert time.monotonic() - started < 20
    assert base_url in str(raised.value)
    assert "sk_any" not in str(raised.value)


def test_the_blocking_client_also_ends_at_an_unreachable_server() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    with DncClient(base_url, "sk_any") as api, pytest.raises(DncUnreachableError):
        api.check_many([f"http://linkedin.com/in/p-{n:05d}" for n in range(50)])


def test_a_bulk_share_leaves_the_rest_of_the_bucket_to_single_requests() -> None:
    state = PacingState({"read": 60}, 60.0)
    for _ in range(48):
        assert state.delay("read", 100.0, 0.8) == 0.0
        state.record("read", 100.0)
    assert state.delay("read", 100.0, 0.8) > 59  # the bulk run waits for the window
    assert state.delay("read", 100.0) == 0.0  # a single check still goes at once


async def test_a_single_request_is_not_queued_behind_a_bulk_run_waiting_for_its_share() -> None:
    pacer = AsyncPacer(
        PacingState({"read": 5}, 1.0), clock=time.monotonic, sleep=anyio.sleep, max_wait_s=5
    )
    waited: list[float] = []

    async def bulk() -> None:
        for _ in range(6):
            await pacer.acquire("read", 0.8)

    async def single() -> None:
        await anyio.sleep(0.2)  # the bulk run has used its 4 and waits for the window
        started = time.monotonic()
        await pacer.acquire("read")
        waited.append(time.monotonic() - started)

    async with anyio.create_task_group() as group:
        group.start_soon(bulk)
        group.start_soon(single)
    assert waited[0] < 0.1


async def test_a_url_too_long_to_send_is_one_invalid_row_and_every_other_row_is_answered() -> None:
    huge = "https://linkedin.com/in/" + "a" * 70_000
    async with reference(10) as ref:
        api = AsyncDncClient(BASE, KEY, transport=counting(ref.app))
        async with api:
            outcomes = await api.check_many([person(1), huge, person(99)])
            with pytest.raises(InvalidUrlError):
                await api.check(huge)
    assert [o.on_list for o in outcomes] == [True, None, False]
    assert outcomes[1].error is not None
    assert len(outcomes[1].error) < 200


async def test_a_single_check_during_a_bulk_run_is_answered_at_once() -> None:
    # A deployment that refuses mobile hosts: after two probes every URL is checked one by one,
    # so the bulk run spends its share of the read bucket (8 of 10 a second) for ~2 s.
    from reference_server import Settings

    limits = {"write": 30, "read": 10, "batch": 10}
    settings = Settings(api_keys={KEY: "team_bulk"}, rate_limits=limits, rate_window_s=1.0)
    async with reference(5, settings=settings) as ref:
        refusing = RefusingMobile(ref.app)
        api = AsyncDncClient(
            BASE, KEY, transport=counting(refusing), rate_limits=limits, rate_window_s=1.0
        )
        waited: list[float] = []
        async with api:

            async def agent() -> None:
                await anyio.sleep(0.5)  # the bulk run is pacing itself by now
                started = time.monotonic()
                assert (await api.check(person(1))).on_list
                waited.append(time.monotonic() - started)

            async with anyio.create_task_group() as group:
                group.start_soon(agent)
                outcomes = await api.check_many(
                    [f"https://m.linkedin.com/in/person-{n:05d}" for n in range(20)]
                )
    # the 5 listed usernames are listed whatever the deployment says of their spelling
    assert [o.on_list for o in outcomes] == [True] * 5 + [None] * 15
    assert waited[0] < 0.5
