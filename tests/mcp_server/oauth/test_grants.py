"""The authorization server's promises, tried by hand as an attacker or a careless client would:
PKCE, single-use codes, rotating refresh tokens, revocation, and tokens that are tampered with,
expired, revoked or issued for another server all end in a refusal."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from mcp_server.oauth import RedisGrantStore, token_digest

from .flow import Flow, pkce
from .hosting import KEY_A, oauth_server
from .person import REDIRECT_URI, Person

pytestmark = pytest.mark.anyio


async def test_a_code_needs_the_verifier_of_its_challenge(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        verifier, challenge = pkce()
        code = await flow.code(Person(KEY_A), challenge)
        wrong = await flow.exchange(code, pkce()[0])
        right = await flow.exchange(code, verifier)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 200
    assert right.json()["token_type"] == "Bearer"


async def test_an_authorization_request_without_s256_pkce_is_refused(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        plain = await http.get(flow.authorization_url("x" * 43, code_challenge_method="plain"))
        missing = await http.get(
            flow.authorization_url("x" * 43).replace("code_challenge=", "nothing=")
        )
    for response in (plain, missing):
        assert response.status_code in (302, 400)
        assert "consent" not in response.headers.get("location", "")


async def test_a_replayed_code_is_refused_and_revokes_what_it_gave(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        verifier, challenge = pkce()
        code = await flow.code(Person(KEY_A), challenge)
        first = await flow.exchange(code, verifier)
        before = await flow.call_mcp(first.json()["access_token"])
        replay = await flow.exchange(code, verifier)
        after = await flow.call_mcp(first.json()["access_token"])
    assert first.status_code == 200
    assert before.status_code == 200
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert after.status_code == 401


async def test_a_refresh_token_rotates_and_the_old_one_then_revokes_the_grant(
    tmp_path: Path,
) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        tokens = await flow.tokens(Person(KEY_A))
        rotated = await flow.refresh(tokens["refresh_token"])
        new = rotated.json()
        works = await flow.call_mcp(new["access_token"])
        old_again = await flow.refresh(tokens["refresh_token"])
        after_reuse = await flow.call_mcp(new["access_token"])
        newest = await flow.refresh(new["refresh_token"])
    assert rotated.status_code == 200
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert works.status_code == 200
    assert old_again.status_code == 400
    assert old_again.json()["error"] == "invalid_grant"
    # Someone else holds a copy of a used refresh token: the whole grant ends.
    assert after_reuse.status_code == 401
    assert newest.status_code == 400


async def test_a_refresh_may_narrow_the_scopes_but_never_widen_them(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        tokens = await flow.tokens(Person(KEY_A, scopes=["dnc:read", "dnc:write"]))
        narrowed = await flow.token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"], scope="dnc:read"
        )
        wider = await flow.token(
            grant_type="refresh_token",
            refresh_token=narrowed.json()["refresh_token"],
            scope="dnc:read dnc:delete",
        )
    assert tokens["scope"] == "dnc:read dnc:write"
    assert narrowed.json()["scope"] == "dnc:read"
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


async def test_revoking_a_token_ends_its_access_and_refresh_tokens(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        tokens = await flow.tokens(Person(KEY_A))
        revoked = await flow.revoke(tokens["refresh_token"])
        access = await flow.call_mcp(tokens["access_token"])
        refresh = await flow.refresh(tokens["refresh_token"])
    assert revoked.status_code == 200
    assert access.status_code == 401
    assert refresh.status_code == 400


async def test_a_tampered_or_unknown_token_is_refused(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        token = (await flow.tokens(Person(KEY_A)))["access_token"]
        flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
        answers = [
            await flow.call_mcp(t) for t in (flipped, token + "x", token[:-4], "dncat_" + "0" * 43)
        ]
        good = await flow.call_mcp(token)
    assert [a.status_code for a in answers] == [401, 401, 401, 401]
    assert all('error="invalid_token"' in a.headers["www-authenticate"] for a in answers)
    assert good.status_code == 200


async def test_a_token_of_another_server_sharing_the_store_is_refused_and_so_is_an_expired_one(
    tmp_path: Path, redis_url: str
) -> None:
    async with (
        oauth_server(tmp_path, "one", redis_url=redis_url) as one,
        oauth_server(tmp_path, "two", redis_url=redis_url) as two,
        httpx.AsyncClient() as http,
    ):
        flow = Flow(http, one.base_url)
        await flow.register()
        token = (await flow.tokens(Person(KEY_A)))["access_token"]
        at_one = await flow.call_mcp(token)
        at_two = await Flow(http, two.base_url).call_mcp(token)  # issued for one's /mcp
        store = RedisGrantStore.from_url(redis_url)
        record = await store.get("access", token_digest(token))
        assert record is not None
        record["expires_at"] = time.time() - 1  # as if its 15 minutes had passed
        await store.put("access", token_digest(token), record, 60)
        await store.aclose()
        expired = await flow.call_mcp(token)
    assert at_one.status_code == 200
    assert at_two.status_code == 401
    assert expired.status_code == 401


async def test_registration_is_bounded_so_strangers_cannot_fill_the_store(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        register = f"{hosting.base_url}/register"
        base = {"grant_types": ["authorization_code"], "token_endpoint_auth_method": "none"}
        huge_name = await http.post(
            register,
            json={**base, "client_name": "x" * 1_000_000, "redirect_uris": [REDIRECT_URI]},
        )
        many_uris = await http.post(
            register,
            json={**base, "redirect_uris": [f"{REDIRECT_URI}/{n}" for n in range(50)]},
        )
        fine = await Flow(http, hosting.base_url).register()
    assert huge_name.status_code == 400
    assert "client_name" in huge_name.text
    assert many_uris.status_code == 400
    assert fine["client_id"]
