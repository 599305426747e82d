"""Single add and check: envelopes, normalization on the way in, duplicates, team isolation."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest

pytestmark = pytest.mark.anyio

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def test_add_answers_201_with_the_entry_in_the_documented_envelope(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    response = await client.post(
        "/v1/dnc", json={"url": "https://www.linkedin.com/in/JohnSmith/"}, headers=auth.a
    )
    assert response.status_code == 201
    body = response.json()
    assert body["error"] is None
    assert body["message"] == "Added to Do Not Contact list"
    entry = body["data"]
    assert re.fullmatch(r"dnc_[A-Za-z0-9]{20}", entry["$id"])
    assert entry["teamId"] == "team_a"
    assert entry["url"] == "https://linkedin.com/in/johnsmith"
    assert ISO_MS.match(entry["$createdAt"])
    assert entry["$createdAt"] == entry["$updatedAt"] == "2025-11-18T10:00:00.000Z"


async def test_adding_any_spelling_of_a_listed_url_answers_409(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    assert (await client.post("/v1/dnc", json={"url": "in/johnsmith"}, headers=auth.a)).is_success
    again = await client.post("/v1/dnc", json={"url": "LINKEDIN.COM/IN/JOHNSMITH"}, headers=auth.a2)
    assert again.status_code == 409
    assert again.json() == {"error": "dnc_entry_exists", "message": "URL already on DNC list"}


@pytest.mark.parametrize("body", [{}, {"url": None}, {"url": ""}, {"url": "   "}, {"url": 5}])
async def test_add_without_a_usable_url_answers_invalid_request(
    client: httpx.AsyncClient, auth: SimpleNamespace, body: dict[str, object]
) -> None:
    response = await client.post("/v1/dnc", json=body, headers=auth.a)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "LinkedIn URL is required"}


@pytest.mark.parametrize(
    "url", ["invalid-url", "https://linkedin.com/company/acme", "in/" + "a" * 2100]
)
async def test_add_with_a_non_profile_url_answers_invalid_url(
    client: httpx.AsyncClient, auth: SimpleNamespace, url: str
) -> None:
    response = await client.post("/v1/dnc", json={"url": url}, headers=auth.a)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_url", "message": "Invalid LinkedIn URL format"}


async def test_check_finds_a_listed_url_in_any_supported_form(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    added = (await client.post("/v1/dnc", json={"url": "in/sarah"}, headers=auth.a)).json()
    for form in ["https://linkedin.com/in/sarah", "www.linkedin.com/in/Sarah/", "in/sarah"]:
        response = await client.get("/v1/dnc/check", params={"url": form}, headers=auth.a)
        assert response.status_code == 200
        assert response.json() == {"error": None, "data": {"onList": True, "entry": added["data"]}}


async def test_check_of_an_unlisted_url_answers_on_list_false_and_null_entry(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    response = await client.get("/v1/dnc/check", params={"url": "in/nobody"}, headers=auth.a)
    assert response.json() == {"error": None, "data": {"onList": False, "entry": None}}


@pytest.mark.parametrize("query", ["", "?url=", "?url=%20%20", "?other=in/abc"])
async def test_check_without_a_url_answers_invalid_request(
    client: httpx.AsyncClient, auth: SimpleNamespace, query: str
) -> None:
    response = await client.get("/v1/dnc/check" + query, headers=auth.a)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "LinkedIn URL is required"}


async def test_check_of_an_unreadable_url_answers_invalid_url_never_not_listed(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    response = await client.get(
        "/v1/dnc/check", params={"url": "linkedin.com/in/%zz"}, headers=auth.a
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_url"


async def test_a_team_never_sees_another_teams_entries(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    await client.post("/v1/dnc", json={"url": "in/shared"}, headers=auth.a)
    seen_by_b = await client.get("/v1/dnc/check", params={"url": "in/shared"}, headers=auth.b)
    assert seen_by_b.json()["data"] == {"onList": False, "entry": None}
    assert (await client.get("/v1/dnc", headers=auth.b)).json()["data"]["entries"] == []
    # and team b may list the same person independently
    own = await client.post("/v1/dnc", json={"url": "in/shared"}, headers=auth.b)
    assert own.status_code == 201
    assert own.json()["data"]["teamId"] == "team_b"


async def test_every_key_of_a_team_shares_its_list(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    await client.post("/v1/dnc", json={"url": "in/teammate"}, headers=auth.a)
    response = await client.get("/v1/dnc/check", params={"url": "in/teammate"}, headers=auth.a2)
    assert response.json()["data"]["onList"] is True


async def test_unicode_slugs_are_stored_and_answered_raw_not_percent_encoded(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    response = await client.post(
        "/v1/dnc", json={"url": "linkedin.com/in/%C3%96MER"}, headers=auth.a
    )
    assert response.json()["data"]["url"] == "https://linkedin.com/in/ömer"
    found = await client.get("/v1/dnc/check", params={"url": "in/ömer"}, headers=auth.a)
    assert found.json()["data"]["onList"] is True
