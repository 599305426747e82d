"""DncClient (blocking) answers, raises, paces and retries exactly like AsyncDncClient."""

from __future__ import annotations

import json

import httpx
import pytest

from dnc_client import ConflictError, DncClient, DncConnectionError, RateLimitError
from dnc_client.testing import FakeSyncSleep, FrozenClock

KEY = "sk_test_sync_client_secret_31f0"
ENTRY = {
    "$id": "dnc_12345abcde",
    "teamId": "team_67890fghij",
    "url": "https://linkedin.com/in/johnsmith",
    "$createdAt": "2025-11-18T10:30:00.000Z",
    "$updatedAt": "2025-11-18T10:30:00.000Z",
}


def client_answering(
    *replies: httpx.Response | Exception,
    clock: FrozenClock,
    sleep: FakeSyncSleep,
    **options: object,
) -> tuple[DncClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []
    queue = list(replies)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    client = DncClient(
        "http://api.test/v1",
        KEY,
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=sleep,
        **options,  # type: ignore[arg-type]
    )
    return client, sent


def ok(status: int, data: object) -> httpx.Response:
    return httpx.Response(status, json={"error": None, "data": data})


def test_every_operation_sends_its_request_and_parses_the_answer(
    clock: FrozenClock, sync_sleep: FakeSyncSleep
) -> None:
    batch = {
        "added": 1,
        "duplicates": 0,
        "errors": 0,
        "details": [{"url": ENTRY["url"], "status": "added"}],
    }
    client, sent = client_answering(
        ok(201, ENTRY),
        ok(200, {"onList": True, "entry": ENTRY}),
        ok(200, {"entries": [ENTRY], "total": 1, "limit": 10, "offset": 5}),
        ok(201, batch),
        ok(200, {"message": "DNC entry deleted successfully"}),
        clock=clock,
        sleep=sync_sleep,
    )
    with client:
        assert client.add("in/johnsmith").id == ENTRY["$id"]
        assert client.check("in/johnsmith").on_list is True
        assert client.list(10, 5).offset == 5
        assert client.add_batch(["in/johnsmith"]).added == 1
        assert client.delete("dnc_12345abcde") == "DNC entry deleted successfully"
    assert [(r.method, r.url.path) for r in sent] == [
        ("POST", "/v1/dnc"),
        ("GET", "/v1/dnc/check"),
        ("GET", "/v1/dnc"),
        ("POST", "/v1/dnc/batch"),
        ("DELETE", "/v1/dnc/dnc_12345abcde"),
    ]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in sent)
    assert json.loads(sent[0].content) == {"url": "in/johnsmith"}


def test_a_409_raises_conflict_and_is_not_resent(
    clock: FrozenClock, sync_sleep: FakeSyncSleep
) -> None:
    answer = httpx.Response(
        409, json={"error": "dnc_entry_exists", "message": "URL already on DNC list"}
    )
    client, sent = client_answering(answer, clock=clock, sleep=sync_sleep)
    with client, pytest.raises(ConflictError):
        client.add("in/johnsmith")
    assert len(sent) == 1


def test_a_429_blocks_the_thread_until_reset_time_then_resends(
    clock: FrozenClock, sync_sleep: FakeSyncSleep
) -> None:
    reset_ms = int((clock.now + 4.0) * 1000)
    limited = httpx.Response(
        429, json={"error": "rate_limit_exceeded", "message": "m", "resetTime": reset_ms}
    )
    client, sent = client_answering(
        limited, ok(200, {"onList": False, "entry": None}), clock=clock, sleep=sync_sleep
    )
    with client:
        assert client.check("in/nobody").on_list is False
    assert len(sent) == 2
    assert sync_sleep.calls == [pytest.approx(4.05)]


def test_requests_are_paced_under_the_bucket_limit_on_the_injected_clock(
    clock: FrozenClock, sync_sleep: FakeSyncSleep
) -> None:
    answers = [ok(200, {"onList": False, "entry": None}) for _ in range(3)]
    client, sent = client_answering(
        *answers, clock=clock, sleep=sync_sleep, rate_limits={"read": 2, "write": 1, "batch": 1}
    )
    with client:
        for _ in range(3):
            client.check("in/nobody")
    assert len(sent) == 3
    assert sync_sleep.calls == [pytest.approx(60.0)]  # the third read waits a whole window


def test_a_pacing_wait_beyond_the_maximum_raises_without_sending(
    clock: FrozenClock, sync_sleep: FakeSyncSleep
) -> None:
    client, sent = client_answering(
        ok(201, ENTRY),
        clock=clock,
        sleep=sync_sleep,
        rate_limits={"read": 1, "write": 1, "batch": 1},
        max_wait_s=5,
    )
    with client:
        client.add("in/a")
        with pytest.raises(RateLimitError, match="client-side pacing"):
            client.add("in/b")
    assert len(sent) == 1


def test_a_timed_out_delete_is_not_resent_and_the_error_never_carries_the_key(
    clock: FrozenClock, sync_sleep: FakeSyncSleep
) -> None:
    client, sent = client_answering(httpx.ReadTimeout("timed out"), clock=clock, sleep=sync_sleep)
    with client, pytest.raises(DncConnectionError) as caught:
        client.delete("dnc_12345abcde")
    assert len(sent) == 1
    assert KEY not in str(caught.value)
    assert KEY not in repr(client)
