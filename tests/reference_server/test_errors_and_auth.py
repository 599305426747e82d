"""Authentication, malformed input, body limits, unknown routes and unexpected failures."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest

from reference_server import Settings
from reference_server.testing import inprocess_client

pytestmark = pytest.mark.anyio

UNAUTHORIZED = {"error": "unauthorized", "message": "Invalid or missing API key"}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic a2V5LXRlYW0tYg==",
        "Token key-team-b",
        "Bearer wrong-key",
        "Bearer key-team-b-but-longer",
        "key-team-b",
    ],
)
async def test_a_missing_malformed_or_unknown_key_answers_401_with_www_authenticate(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    for method, path in [("GET", "/v1/dnc"), ("POST", "/v1/dnc"), ("DELETE", "/v1/dnc/dnc_x")]:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
        assert response.headers["www-authenticate"] == "Bearer"
        assert "x-ratelimit-limit" not in response.headers


async def test_the_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/dnc", headers={"Authorization": "bearer key-team-b"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"not json", b"[]", b'"in/abc"', b"null", b"\xff\xfe{}", b"[" * 100_000],
)
async def test_a_body_that_is_not_a_json_object_answers_invalid_request(
    client: httpx.AsyncClient, auth: SimpleNamespace, content: bytes
) -> None:
    for path in ["/v1/dnc", "/v1/dnc/batch"]:
        response = await client.post(path, content=content, headers=auth.a)
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_request",
            "message": "Request body must be a JSON object",
        }


async def test_a_utf16_body_is_not_utf8_and_is_refused(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    body = '{"url": "in/abc"}'.encode("utf-16")
    response = await client.post("/v1/dnc", content=body, headers=auth.a)
    assert response.status_code == 400


async def test_content_type_is_not_enforced(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    response = await client.post(
        "/v1/dnc",
        content=b'{"url": "in/plain-text"}',
        headers={**auth.a, "Content-Type": "text/plain"},
    )
    assert response.status_code == 201


async def test_a_body_over_the_limit_answers_413_declared_or_streamed(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    async with inprocess_client(make_settings(max_body_bytes=1024)) as client:
        big = b'{"url": "' + b"a" * 2000 + b'"}'
        response = await client.post("/v1/dnc", content=big, headers=auth.a)
        assert response.status_code == 413
        assert response.json() == {
            "error": "payload_too_large",
            "message": "Request body exceeds 1024 bytes",
        }

        async def chunks() -> object:
            for _ in range(100):
                yield b" " * 100

        streamed = await client.post("/v1/dnc/batch", content=chunks(), headers=auth.a)  # type: ignore[arg-type]
        assert streamed.status_code == 413


async def test_the_default_body_limit_is_one_mebibyte(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    body = b'{"url": "in/abc", "pad": "' + b"x" * (1_048_576) + b'"}'
    response = await client.post("/v1/dnc", content=body, headers=auth.a)
    assert response.status_code == 413


async def test_control_characters_and_huge_urls_are_rejected_not_stored(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    for url in ["in/abc\u0000def", "in/abc\ndef", "in/" + "a" * 100_000, "in/abc\u202edef"]:
        response = await client.post("/v1/dnc", json={"url": url}, headers=auth.a)
        assert response.status_code == 400, url
    assert (await client.get("/v1/dnc", headers=auth.a)).json()["data"]["total"] == 0


async def test_an_unknown_path_answers_404_not_found_without_authentication(
    client: httpx.AsyncClient,
) -> None:
    for path in ["/", "/v1", "/v1/dnc/", "/v2/dnc", "/v1/dnc/a/b"]:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/dnc", "GET, HEAD, POST"),
        # "batch" and "check" are not entry ids (openapi.yaml decision unknown-route).
        ("PATCH", "/v1/dnc/batch", "POST"),
        ("POST", "/v1/dnc/check", "GET, HEAD"),
        ("DELETE", "/v1/dnc/check", "GET, HEAD"),
        ("DELETE", "/v1/dnc/batch", "POST"),
        ("GET", "/v1/dnc/dnc_abc", "DELETE"),
    ],
)
async def test_a_known_path_with_another_method_answers_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["allow"] == allow


async def test_an_unexpected_failure_answers_500_envelope_without_details(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    def exploding_normalizer(raw: str) -> str | None:
        raise RuntimeError("secret internals")

    async with inprocess_client(make_settings(normalizer=exploding_normalizer)) as client:
        response = await client.post("/v1/dnc", json={"url": "in/abc"}, headers=auth.a)
        assert response.status_code == 500
        assert response.json() == {
            "error": "internal_error",
            "message": "An internal error occurred",
        }
        assert "secret" not in response.text


async def test_an_injected_normalizer_replaces_the_real_one(
    make_settings: Callable[..., Settings], auth: SimpleNamespace
) -> None:
    def case_sensitive(raw: str) -> str | None:
        return "https://linkedin.com/in/" + raw.rsplit("/", 1)[-1]

    async with inprocess_client(make_settings(normalizer=case_sensitive)) as client:
        response = await client.post("/v1/dnc", json={"url": "in/MixedCase"}, headers=auth.a)
        assert response.json()["data"]["url"] == "https://linkedin.com/in/MixedCase"


async def test_a_lone_surrogate_is_an_entry_error_echoed_as_valid_json_not_a_500(
    client: httpx.AsyncClient, auth: SimpleNamespace
) -> None:
    body = b'{"entries": [{"url": "in/ab\\ud800cd"}, {"url": "in/fine"}]}'
    response = await client.post("/v1/dnc/batch", content=body, headers=auth.a)
    assert response.status_code == 201
    details = response.json()["data"]["details"]
    assert details[0] == {
        "url": "in/ab\ud800cd",
        "status": "error",
        "error": "Invalid LinkedIn URL format",
    }
    assert details[1]["status"] == "added"
    single = await client.post("/v1/dnc", content=b'{"url": "in/\\udfffabc"}', headers=auth.a)
    assert single.status_code == 400


@pytest.mark.parametrize(
    "content", [b'{"url": ' + b"9" * 5000 + b"}", b'{"url": NaN}', b'{"url": 1e99999}']
)
async def test_odd_json_numbers_are_a_missing_url_not_a_crash(
    client: httpx.AsyncClient, auth: SimpleNamespace, content: bytes
) -> None:
    response = await client.post("/v1/dnc", content=content, headers=auth.a)
    assert response.status_code == 400
