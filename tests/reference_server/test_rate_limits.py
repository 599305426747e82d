"""Per-team rolling-window rate limits, driven by the injected clock (no sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace

import anyio
import httpx
import pytest

from reference_server import Settings
from reference_server.testing import FakeClock, inprocess_client

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only]

DOCUMENTED = {"write": 30, "read": 60, "batch": 10}


@pytest.fixture
async def limited(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with inprocess_client(make_settings(rate_limits=DOCUMENTED)) as client:
        yield client


async def test_the_31st_write_in_a_window_answers_429_with_reset_time_and_retry_after(
    limited: httpx.AsyncClient, auth: SimpleNamespace, clock: FakeClock
) -> None:
    start_ms = int(clock.now * 1000)
    for i in range(30):
        clock.advance(0.5)
        response = await limited.post("/v1/dnc", json={"url": f"in/user-{i:03d}"}, headers=auth.a)
        assert response.status_code == 201
        assert response.headers["x-ratelimit-limit"] == "30"
        assert response.headers["x-ratelimit-remaining"] == str(29 - i)
        assert response.headers["x-ratelimit-reset"] == str(start_ms + 500 + 60_000)
    refused = await limited.delete("/v1/dnc/dnc_whatever", headers=auth.a2)  # shares "write"
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "rate_limit_exceeded",
        "message": "Too many requests. Please try again later.",
        "resetTime": start_ms + 500 + 60_000,
    }
    assert refused.headers["retry-after"] == "46"  # 60.5 s after start, now is start + 15 s
    assert refused.headers["x-ratelimit-remaining"] == "0"


async def test_a_refused_request_does_not_consume_and_the_window_rolls(
    limited: httpx.AsyncClient, auth: SimpleNamespace, clock: FakeClock
) -> None:
    for _ in range(10):
        clock.advance(1.0)
        assert (await limited.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 400
    for _ in range(5):  # hammering while limited must not push the reset further out
        assert (await limited.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 429
    clock.advance(51.0)  # the first request (t=1) leaves the window at t=61
    assert (await limited.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 400
    assert (await limited.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 429
    clock.advance(1.0)
    assert (await limited.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 400


async def test_a_limited_request_answers_429_even_when_its_body_is_invalid(
    limited: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    for _ in range(10):
        await limited.post("/v1/dnc/batch", json={"entries": [{"url": "in/abcd"}]}, headers=auth.a)
    response = await limited.post("/v1/dnc/batch", content=b"garbage", headers=auth.a)
    assert response.status_code == 429


async def test_check_and_list_share_the_read_bucket_of_sixty(
    limited: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    for i in range(60):
        path = "/v1/dnc" if i % 2 else "/v1/dnc/check?url=in/abcd"
        assert (await limited.get(path, headers=auth.a)).status_code == 200
    assert (await limited.get("/v1/dnc", headers=auth.a)).status_code == 429
    assert (await limited.get("/v1/dnc/check?url=in/abcd", headers=auth.a)).status_code == 429
    # other buckets and other teams are untouched
    assert (await limited.post("/v1/dnc", json={"url": "in/abcd"}, headers=auth.a)).is_success
    assert (await limited.get("/v1/dnc", headers=auth.b)).status_code == 200


async def test_unauthenticated_requests_never_count_against_a_team(
    limited: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    for _ in range(100):
        bad = await limited.post("/v1/dnc/batch", json={}, headers={"Authorization": "Bearer x"})
        assert bad.status_code == 401
    ok = await limited.post("/v1/dnc/batch", json={"entries": [{"url": "in/abc"}]}, headers=auth.a)
    assert ok.headers["x-ratelimit-remaining"] == "9"


async def test_sixty_concurrent_writes_admit_exactly_thirty(
    limited: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    statuses: list[int] = []

    async def write(i: int) -> None:
        response = await limited.post("/v1/dnc", json={"url": f"in/conc-{i:03d}"}, headers=auth.a)
        statuses.append(response.status_code)

    async with anyio.create_task_group() as tg:
        for i in range(60):
            tg.start_soon(write, i)
    assert sorted(statuses) == [201] * 30 + [429] * 30


async def test_operation_buckets_can_be_separated_by_configuration(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    buckets = {
        "addDncEntry": "add",
        "deleteDncEntry": "write",
        "checkDncStatus": "read",
        "listDncEntries": "read",
        "addDncEntriesBatch": "batch",
    }
    limits = {**DOCUMENTED, "add": 2}
    settings = make_settings(rate_limits=limits, operation_buckets=buckets)
    async with inprocess_client(settings) as client:
        for i in range(2):
            await client.post("/v1/dnc", json={"url": f"in/split-{i}"}, headers=auth.a)
        assert (
            await client.post("/v1/dnc", json={"url": "in/x"}, headers=auth.a)
        ).status_code == 429
        assert (await client.delete("/v1/dnc/dnc_nope", headers=auth.a)).status_code == 404


async def test_a_fractional_window_is_honoured(
    make_settings: Callable[..., Settings], auth: SimpleNamespace, clock: FakeClock
) -> None:
    settings = make_settings(rate_limits={**DOCUMENTED, "batch": 1}, rate_window_s=0.25)
    async with inprocess_client(settings) as client:
        assert (await client.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 400
        limited = await client.post("/v1/dnc/batch", json={}, headers=auth.a)
        assert limited.status_code == 429
        assert limited.json()["resetTime"] == int(clock.now * 1000) + 250
        assert limited.headers["retry-after"] == "1"
        clock.advance(0.25)
        assert (await client.post("/v1/dnc/batch", json={}, headers=auth.a)).status_code == 400


def test_idle_teams_are_forgotten_so_memory_follows_active_teams() -> None:
    from reference_server.ratelimit import RateLimiter

    clock = FakeClock()
    limiter = RateLimiter({"read": 5}, 1.0, clock)
    for team in range(100):
        limiter.hit(f"team-{team}", "read")
    assert limiter.tracked == 100
    clock.advance(1.0)
    limiter.hit("active", "read")
    limiter.forget_idle()
    assert limiter.tracked == 1
