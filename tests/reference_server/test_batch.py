"""Batch add: per-entry outcomes in input order, whole-request rejections, one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from reference_server import Settings
from reference_server.storage import Entry, SqliteStorage
from reference_server.testing import inprocess_client, service_of

pytestmark = pytest.mark.anyio


async def test_the_documented_batch_example_reports_added_duplicate_and_error_in_order(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    await client.post(
        "/v1/dnc", json={"url": "https://linkedin.com/in/michaelchen"}, headers=auth.a
    )
    entries = [
        {"url": "https://linkedin.com/in/johnsmith"},
        {"url": "https://linkedin.com/in/sarahjohnson"},
        {"url": "https://linkedin.com/in/michaelchen"},
        {"url": "linkedin.com/in/emilydavis"},
        {"url": "invalid-url"},
    ]
    response = await client.post("/v1/dnc/batch", json={"entries": entries}, headers=auth.a)
    assert response.status_code == 201
    assert response.json() == {
        "error": None,
        "data": {
            "added": 3,
            "duplicates": 1,
            "errors": 1,
            "details": [
                {"url": "https://linkedin.com/in/johnsmith", "status": "added"},
                {"url": "https://linkedin.com/in/sarahjohnson", "status": "added"},
                {"url": "https://linkedin.com/in/michaelchen", "status": "duplicate"},
                {"url": "https://linkedin.com/in/emilydavis", "status": "added"},
                {
                    "url": "invalid-url",
                    "status": "error",
                    "error": "Invalid LinkedIn URL format",
                },
            ],
        },
        "message": "Bulk import completed: 3 added, 1 duplicates, 1 errors",
    }


async def test_a_url_repeated_inside_one_batch_is_added_once_then_duplicate(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    entries = [{"url": "in/twice"}, {"url": "https://www.linkedin.com/in/TWICE/"}, {"url": ""}]
    data = (await client.post("/v1/dnc/batch", json={"entries": entries}, headers=auth.a)).json()
    assert [d["status"] for d in data["data"]["details"]] == ["added", "duplicate", "error"]
    assert data["data"]["details"][2]["url"] == ""


async def test_a_batch_makes_a_cached_not_listed_answer_stale_at_once(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    before = await client.get("/v1/dnc/check", params={"url": "in/latecomer"}, headers=auth.a)
    assert before.json()["data"]["onList"] is False
    await client.post("/v1/dnc/batch", json={"entries": [{"url": "in/latecomer"}]}, headers=auth.a)
    after = await client.get("/v1/dnc/check", params={"url": "in/latecomer"}, headers=auth.a)
    assert after.json()["data"]["onList"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Entries array is required"),
        ({"entries": []}, "Entries array is required"),
        ({"entries": "in/abc"}, "Entries array is required"),
        ({"entries": None}, "Entries array is required"),
        ({"entries": [{"url": "in/abc"}, {}]}, "Each entry must have a url field"),
        ({"entries": [{"url": "in/abc"}, {"url": None}]}, "Each entry must have a url field"),
        ({"entries": [{"url": "in/abc"}, {"url": 7}]}, "Each entry must have a url field"),
        ({"entries": [{"url": "in/abc"}, "in/def"]}, "Each entry must have a url field"),
        ({"entries": [{"url": "in/abc"}] * 1001}, "Entries array must hold at most 1000 entries"),
    ],
)
async def test_a_malformed_batch_answers_invalid_request_and_adds_nothing(
    client: httpx.AsyncClient, auth: SimpleNamespace, body: dict[str, Any], message: str
) -> None:
    response = await client.post("/v1/dnc/batch", json=body, headers=auth.a)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": message}
    listed = await client.get("/v1/dnc", headers=auth.a)
    assert listed.json()["data"]["entries"] == []


async def test_a_batch_of_the_maximum_size_is_accepted(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    entries = [{"url": f"in/person-{i:04d}"} for i in range(1000)]
    response = await client.post("/v1/dnc/batch", json={"entries": entries}, headers=auth.a)
    assert response.status_code == 201
    assert response.json()["data"]["added"] == 1000


class _FailingHalfway(SqliteStorage):
    """Fails inside the batch transaction after some rows were inserted."""

    async def add_many(
        self, team_id: str, urls: Sequence[str], *, actor: str, now_ms: int
    ) -> list[Entry | None]:
        def work(conn: Any) -> list[Entry | None]:
            conn.execute(
                "INSERT INTO entries (id, team_id, url, created_ms) VALUES (?, ?, ?, ?)",
                ("dnc_partial", team_id, urls[0], now_ms),
            )
            raise RuntimeError("disk on fire")

        return await self._write(work)


async def test_a_batch_failing_part_way_adds_nothing_and_answers_500(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    from reference_server import embedded_app

    settings = make_settings()
    async with embedded_app(settings, storage=_FailingHalfway(":memory:")) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            entries = [{"url": "in/alpha"}, {"url": "in/bravo"}]
            response = await client.post("/v1/dnc/batch", json={"entries": entries}, headers=auth.a)
            assert response.status_code == 500
            assert response.json() == {
                "error": "internal_error",
                "message": "An internal error occurred",
            }
            assert "disk on fire" not in response.text
            listed = await client.get("/v1/dnc", headers=auth.a)
            assert listed.json()["data"]["entries"] == []


async def test_batch_writes_one_audit_record_per_added_entry(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    async with inprocess_client(make_settings()) as client:
        entries = [{"url": "in/one-x"}, {"url": "in/two-x"}, {"url": "in/one-x"}]
        await client.post("/v1/dnc/batch", json={"entries": entries}, headers=auth.a)
        trail = await service_of(client).storage.audit_trail()
        assert [(r.action, r.url[-5:]) for r in trail] == [
            ("batch_add", "one-x"),
            ("batch_add", "two-x"),
        ]
