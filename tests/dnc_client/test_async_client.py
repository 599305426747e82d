"""AsyncDncClient against scripted answers (httpx.MockTransport): statuses, 429 waits, retry safety.

Every documented error status of every operation is taken from openapi.yaml itself, so a new
documented status without a mapping fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from dnc_client import AsyncDncClient
from dnc_client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DncApiError,
    DncConnectionError,
    InternalServerError,
    InvalidUrlError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
)
from dnc_client.testing import FakeSleep, FrozenClock
from dnc_kit.resources import load_openapi

pytestmark = pytest.mark.anyio

KEY = "sk_test_client_secret_9d8c7b"
ENTRY = {
    "$id": "dnc_12345abcde",
    "teamId": "team_67890fghij",
    "url": "https://linkedin.com/in/johnsmith",
    "$createdAt": "2025-11-18T10:30:00.000Z",
    "$updatedAt": "2025-11-18T10:30:00.000Z",
}
Reply = httpx.Response | Exception


@dataclass
class Script:
    """Answers requests in order; records what was sent."""

    replies: list[Reply]
    sent: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def ok(status: int, data: object) -> httpx.Response:
    return httpx.Response(status, json={"error": None, "data": data})


def err(
    status: int, code: str, *, headers: dict[str, object] | None = None, **extra: object
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": code, "message": f"{code} message", **extra},
        headers={name: str(value) for name, value in (headers or {}).items()},
    )


@pytest.fixture
def make_client(
    clock: FrozenClock, sleep: FakeSleep
) -> Callable[..., tuple[AsyncDncClient, Script]]:
    """`make_client(*replies, **options)`: a client whose transport answers `replies` in order."""

    def factory(*replies: Reply, **options: Any) -> tuple[AsyncDncClient, Script]:
        script = Script(list(replies))
        client = AsyncDncClient(
            "http://api.test/v1",
            KEY,
            transport=httpx.MockTransport(script.handler),
            clock=clock,
            sleep=sleep,
            **options,
        )
        return client, script

    return factory


async def test_add_posts_the_url_with_the_bearer_key_and_returns_the_entry(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
) -> None:
    client, script = make_client(ok(201, ENTRY))
    async with client:
        entry = await client.add("in/johnsmith")
    assert entry.id == "dnc_12345abcde"
    [request] = script.sent
    assert (request.method, request.url.path) == ("POST", "/v1/dnc")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"url": "in/johnsmith"}


async def test_every_operation_parses_its_documented_success_answer(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
) -> None:
    page = {"entries": [ENTRY], "total": 1, "limit": 50, "offset": 0}
    batch = {
        "added": 1,
        "duplicates": 0,
        "errors": 1,
        "details": [
            {"url": "https://linkedin.com/in/johnsmith", "status": "added"},
            {"url": "invalid-url", "status": "error", "error": "Invalid LinkedIn URL format"},
        ],
    }
    client, script = make_client(
        ok(200, {"onList": True, "entry": ENTRY}),
        ok(200, {"onList": False, "entry": None}),
        ok(200, page),
        ok(201, batch),
        ok(200, {"message": "DNC entry deleted successfully"}),
    )
    async with client:
        assert (await client.check("in/johnsmith")).entry is not None
        assert (await client.check("in/nobody")).on_list is False
        assert (await client.list(50, 0)).entries[0].url == ENTRY["url"]
        assert (await client.add_batch(["in/johnsmith", "invalid-url"])).errors == 1
        assert await client.delete("dnc_12345abcde") == "DNC entry deleted successfully"
    check, _, listing, posted, deleted = script.sent
    assert check.url.params["url"] == "in/johnsmith"
    assert dict(listing.url.params) == {"limit": "50", "offset": "0"}
    assert json.loads(posted.content) == {
        "entries": [{"url": "in/johnsmith"}, {"url": "invalid-url"}]
    }
    assert (deleted.method, deleted.url.path) == ("DELETE", "/v1/dnc/dnc_12345abcde")


EXCEPTION_FOR_STATUS: dict[int, type[DncApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    500: InternalServerError,
    503: InternalServerError,  # a store the deployment needs is down (decisions outage-*)
}


def _documented_errors() -> list[tuple[str, int, str]]:
    """(operationId, status, error code) for every documented error answer but 429."""
    spec = load_openapi()
    found: list[tuple[str, int, str]] = []
    for methods in spec["paths"].values():
        for operation in methods.values():
            for status, response in operation["responses"].items():
                if int(status) < 400 or int(status) == 429:
                    continue
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
                examples = response["content"]["application/json"]["examples"].values()
                for example in examples:
                    found.append((operation["operationId"], int(status), example["value"]["error"]))
    return found


async def _call(client: AsyncDncClient, operation_id: str) -> object:
    if operation_id == "addDncEntry":
        return await client.add("in/johnsmith")
    if operation_id == "listDncEntries":
        return await client.list(50, 0)
    if operation_id == "checkDncStatus":
        return await client.check("in/johnsmith")
    if operation_id == "addDncEntriesBatch":
        return await client.add_batch(["in/johnsmith"])
    assert operation_id == "deleteDncEntry"
    return await client.delete("dnc_12345abcde")


@pytest.mark.parametrize(("operation_id", "status", "code"), _documented_errors())
async def test_every_documented_error_status_raises_its_exception(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
    operation_id: str,
    status: int,
    code: str,
) -> None:
    # 500 may be retried (check, list, add): give every attempt the same answer.
    client, _ = make_client(*[err(status, code) for _ in range(4)])
    async with client:
        with pytest.raises(EXCEPTION_FOR_STATUS[status]) as caught:
            await _call(client, operation_id)
    assert caught.value.code == code
    assert caught.value.status == status
    if code == "invalid_url":
        assert isinstance(caught.value, InvalidUrlError)
    assert KEY not in str(caught.value)


async def test_a_429_waits_until_reset_time_on_the_clock_then_retries(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], clock: FrozenClock, sleep: FakeSleep
) -> None:
    reset_ms = int((clock.now + 12.5) * 1000)
    client, script = make_client(
        err(429, "rate_limit_exceeded", resetTime=reset_ms, headers={"Retry-After": 13}),
        ok(201, ENTRY),
    )
    async with client:
        entry = await client.add("in/johnsmith")
    assert entry.id == ENTRY["$id"]
    assert len(script.sent) == 2
    assert sleep.calls == [pytest.approx(12.55)]


async def test_a_429_without_reset_time_uses_retry_after(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], sleep: FakeSleep
) -> None:
    client, _ = make_client(
        err(429, "rate_limit_exceeded", headers={"Retry-After": 7}),
        ok(200, {"onList": False, "entry": None}),
    )
    async with client:
        await client.check("in/johnsmith")
    assert sleep.calls == [pytest.approx(7.05)]


async def test_a_429_lifting_later_than_the_max_wait_fails_at_once(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], clock: FrozenClock, sleep: FakeSleep
) -> None:
    reset_ms = int((clock.now + 600) * 1000)
    client, script = make_client(err(429, "rate_limit_exceeded", resetTime=reset_ms), max_wait_s=30)
    async with client:
        with pytest.raises(RateLimitError) as caught:
            await client.add("in/johnsmith")
    assert caught.value.reset_at == pytest.approx(clock.now + 600)
    assert sleep.calls == []
    assert len(script.sent) == 1


async def test_429_retries_stop_after_max_attempts(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], clock: FrozenClock
) -> None:
    replies = [
        err(429, "rate_limit_exceeded", resetTime=int((clock.now + 5 * (i + 1)) * 1000))
        for i in range(3)
    ]
    client, script = make_client(*replies, max_attempts=3)
    async with client:
        with pytest.raises(RateLimitError):
            await client.delete("dnc_12345abcde")
    assert len(script.sent) == 3


@pytest.mark.parametrize(
    ("operation_id", "failure", "attempts"),
    [
        # 5xx / timeout: it may have happened; only replay-safe operations are resent.
        ("checkDncStatus", err(500, "internal_error"), 2),
        ("listDncEntries", httpx.ReadTimeout("slow"), 2),
        ("addDncEntry", err(503, "unavailable"), 2),
        ("addDncEntriesBatch", err(500, "internal_error"), 1),
        ("addDncEntriesBatch", httpx.ReadTimeout("slow"), 1),
        ("deleteDncEntry", err(500, "internal_error"), 1),
        ("deleteDncEntry", httpx.RemoteProtocolError("broken"), 1),
        # Never connected: nothing happened, every operation is resent.
        ("addDncEntriesBatch", httpx.ConnectError("refused"), 2),
        ("deleteDncEntry", httpx.ConnectError("refused"), 2),
    ],
)
async def test_only_requests_that_are_safe_to_repeat_are_resent_after_a_failure(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
    operation_id: str,
    failure: Reply,
    attempts: int,
) -> None:
    success = {
        "checkDncStatus": ok(200, {"onList": False, "entry": None}),
        "listDncEntries": ok(200, {"entries": [], "total": 0, "limit": 50, "offset": 0}),
        "addDncEntry": ok(201, ENTRY),
        "addDncEntriesBatch": ok(201, {"added": 1, "duplicates": 0, "errors": 0, "details": []}),
        "deleteDncEntry": ok(200, {"message": "DNC entry deleted successfully"}),
    }[operation_id]
    client, script = make_client(failure, success)
    async with client:
        if attempts == 2:
            await _call(client, operation_id)
        else:
            with pytest.raises((InternalServerError, DncConnectionError)):
                await _call(client, operation_id)
    assert len(script.sent) == attempts


async def test_a_replayed_add_that_had_gone_through_reports_conflict(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
) -> None:
    client, _ = make_client(httpx.ReadTimeout("slow"), err(409, "dnc_entry_exists"))
    async with client:
        with pytest.raises(ConflictError):
            await client.add("in/johnsmith")


async def test_connection_errors_never_carry_the_key(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
) -> None:
    client, _ = make_client(*[httpx.ConnectError(f"refused Bearer {KEY}") for _ in range(4)])
    async with client:
        with pytest.raises(DncConnectionError) as caught:
            await client.check("in/johnsmith")
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is None or KEY not in repr(caught.value.args)
    assert KEY not in repr(client)


async def test_an_exhausted_bucket_reported_by_headers_delays_the_next_request(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], clock: FrozenClock, sleep: FakeSleep
) -> None:
    reset_ms = int((clock.now + 20) * 1000)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_ms)}
    first = httpx.Response(201, json={"error": None, "data": ENTRY}, headers=headers)
    client, _ = make_client(first, ok(201, ENTRY))
    async with client:
        await client.add("in/johnsmith")
        await client.delete("dnc_12345abcde")  # same bucket: write
    assert sleep.calls == [pytest.approx(20)]


async def test_requests_are_paced_under_the_bucket_limit(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], sleep: FakeSleep
) -> None:
    answers = [ok(200, {"onList": False, "entry": None}) for _ in range(3)]
    client, _ = make_client(*answers, rate_limits={"read": 2, "write": 30, "batch": 10})
    async with client:
        for _ in range(3):
            await client.check("in/johnsmith")
    assert sleep.calls == [pytest.approx(60)]


async def test_pacing_that_would_exceed_the_max_wait_raises_instead_of_sending(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], sleep: FakeSleep
) -> None:
    answers = [ok(201, ENTRY)]
    client, script = make_client(
        *answers, rate_limits={"read": 60, "write": 1, "batch": 10}, max_wait_s=5
    )
    async with client:
        await client.add("in/johnsmith")
        with pytest.raises(RateLimitError):
            await client.add("in/janedoe")
    assert len(script.sent) == 1
    assert sleep.calls == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"error": null}', b'{"error": null, "data": {"onList": "maybe"}}'],
)
async def test_an_unreadable_success_answer_is_an_api_error(
    make_client: Callable[..., tuple[AsyncDncClient, Script]], body: bytes
) -> None:
    client, _ = make_client(httpx.Response(200, content=body))
    async with client:
        with pytest.raises(DncApiError) as caught:
            await client.check("in/johnsmith")
    assert caught.value.code == "bad_response"


async def test_delete_escapes_the_id_into_a_single_path_segment(
    make_client: Callable[..., tuple[AsyncDncClient, Script]],
) -> None:
    client, script = make_client(err(404, "dnc_not_found"))
    async with client:
        with pytest.raises(NotFoundError):
            await client.delete("../dnc?x=1")
    assert script.sent[0].url.raw_path == b"/v1/dnc/..%2Fdnc%3Fx%3D1"
