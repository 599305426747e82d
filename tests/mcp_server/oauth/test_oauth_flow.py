"""An OAuth-only host reaches `dnc mcp --oauth` as the MCP authorization spec has it.

The SDK's own `OAuthClientProvider` discovers (RFC 9728, RFC 8414), registers (RFC 7591),
sends a person to the consent page (filled in over HTTP as a browser would), exchanges the
code with PKCE and calls tools, in both protocol eras, against the wiring of
`dnc mcp --transport streamable-http --oauth` in front of the reference server.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.types import CallToolResult

from mcp_server.oauth import READ
from tests.mcp_server.live.hosting import team_client

from .client import Agent
from .hosting import KEY_A, KEY_B, oauth_server
from .person import Person

pytestmark = pytest.mark.anyio
ALL_TOOLS = {"dnc_add", "dnc_add_batch", "dnc_check", "dnc_check_many", "dnc_list", "dnc_delete"}


@pytest.fixture(params=["auto", "legacy"])
def era(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


async def test_a_request_without_a_token_is_told_where_the_protected_resource_metadata_is(
    tmp_path: Path,
) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        refused = await http.post(hosting.url, json={}, headers={"accept": "application/json"})
        challenge = refused.headers["www-authenticate"]
        metadata_url = f"{hosting.base_url}/.well-known/oauth-protected-resource/mcp"
        resource = (await http.get(metadata_url)).json()
        bare = (await http.get(f"{hosting.base_url}/.well-known/oauth-protected-resource")).json()
        server = (
            await http.get(f"{hosting.base_url}/.well-known/oauth-authorization-server")
        ).json()
        junk = await http.post(hosting.url, json={}, headers={"authorization": "Bearer dncat_x"})
    assert refused.status_code == 401
    assert f'resource_metadata="{metadata_url}"' in challenge
    assert 'scope="dnc:read dnc:write dnc:delete"' in challenge
    assert "error=" not in challenge  # no token, no error code (RFC 6750 §3.1)
    assert 'error="invalid_token"' in junk.headers["www-authenticate"]
    assert resource == bare
    assert resource["resource"] == hosting.url
    assert [s.rstrip("/") for s in resource["authorization_servers"]] == [hosting.base_url]
    assert resource["scopes_supported"] == ["dnc:read", "dnc:write", "dnc:delete"]
    assert server["issuer"] == resource["authorization_servers"][0]  # one spelling everywhere
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["registration_endpoint"] == f"{hosting.base_url}/register"
    assert server["revocation_endpoint"] == f"{hosting.base_url}/revoke"
    assert set(server["grant_types_supported"]) == {"authorization_code", "refresh_token"}


async def test_the_sdk_oauth_client_signs_in_through_consent_and_acts_for_its_team(
    tmp_path: Path, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = Agent(Person(KEY_A))
    async with oauth_server(tmp_path) as hosting:
        async with agent.connect(hosting.url, era) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            added = data(await client.call_tool("dnc_add", {"url": "in/oauth-person"}))
            checked = data(await client.call_tool("dnc_check", {"url": "in/oauth-person"}))
        async with agent.connect(hosting.url, era) as again:  # the stored token is reused
            listed = data(await again.call_tool("dnc_list", {}))
        store_bytes = (hosting.config.data_dir / "mcp-oauth.db").read_bytes()
        audit = hosting.audit_lines()
    assert agent.authorizations == 1
    assert tools == ALL_TOOLS
    assert added["status"] == "added"
    assert checked["onList"] is True
    assert [e["url"] for e in listed["entries"]] == [added["entry"]["url"]]
    assert added["entry"]["teamId"] == "team_a"
    assert agent.storage.tokens is not None
    assert agent.storage.tokens.access_token.startswith("dncat_")
    assert KEY_A not in agent.storage.tokens.model_dump_json()
    assert KEY_A.encode() not in store_bytes  # sealed at rest
    assert KEY_A not in caplog.text
    assert KEY_A not in "".join(agent.person.pages)
    assert audit
    assert all(KEY_A not in str(line) for line in audit)


async def test_a_read_only_grant_lists_only_read_tools_and_a_write_is_refused_with_403(
    tmp_path: Path, era: str
) -> None:
    agent = Agent(Person(KEY_A, scopes=[READ]))
    async with oauth_server(tmp_path) as hosting:
        async with agent.connect(hosting.url, era) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            checked = data(await client.call_tool("dnc_check", {"url": "in/nobody"}))
        assert agent.storage.tokens is not None
        token = agent.storage.tokens.access_token
        async with httpx.AsyncClient() as http:
            refused = await http.post(
                hosting.url,
                json={
                    "jsonrpc": "2.0",
                    "id": 7,
                    "method": "tools/call",
                    "params": {"name": "dnc_add", "arguments": {"url": "in/x"}},
                },
                headers={
                    "authorization": f"Bearer {token}",
                    "accept": "application/json, text/event-stream",
                    "content-type": "application/json",
                    "mcp-protocol-version": "2025-11-25",
                },
            )
    assert agent.storage.tokens.scope == "dnc:read"
    assert tools == {"dnc_check", "dnc_check_many", "dnc_list"}
    assert checked["onList"] is False
    assert refused.status_code == 403
    challenge = refused.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="dnc:read dnc:write"' in challenge
    assert "resource_metadata=" in challenge


async def test_two_teams_signed_in_by_oauth_see_only_their_own_lists(tmp_path: Path) -> None:
    agent_a, agent_b = Agent(Person(KEY_A)), Agent(Person(KEY_B))
    async with (
        oauth_server(tmp_path) as hosting,
        agent_a.connect(hosting.url) as a,
        agent_b.connect(hosting.url) as b,
    ):
        data(await a.call_tool("dnc_add", {"url": "in/only-team-a"}))
        seen_by_b = data(await b.call_tool("dnc_check", {"url": "in/only-team-a"}))
        seen_by_a = data(await a.call_tool("dnc_check", {"url": "in/only-team-a"}))
    assert seen_by_a["onList"] is True
    assert seen_by_b["onList"] is False


async def test_the_team_key_header_still_works_beside_oauth(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, team_client(hosting.url, KEY_A) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        checked = data(await client.call_tool("dnc_check", {"url": "in/nobody"}))
    assert tools == ALL_TOOLS
    assert checked["onList"] is False


async def test_a_write_beyond_a_read_grant_sends_the_person_back_to_consent_for_more(
    tmp_path: Path,
) -> None:
    person = Person(KEY_A, scopes=[READ])
    agent = Agent(person)
    async with oauth_server(tmp_path) as hosting, agent.connect(hosting.url) as client:
        before = {tool.name for tool in (await client.list_tools()).tools}
        person.scopes = ["dnc:read", "dnc:write"]  # this time the person allows writing too
        added = data(await client.call_tool("dnc_add", {"url": "in/stepped-up"}))
        after = {tool.name for tool in (await client.list_tools()).tools}
    assert agent.authorizations == 2  # the SDK client stepped up on 403 insufficient_scope
    assert 'id="scope-dnc-write"' in person.pages[-1]  # asked for what it held and needed
    assert before == {"dnc_check", "dnc_check_many", "dnc_list"}
    assert added["status"] == "added"
    assert after == before | {"dnc_add", "dnc_add_batch"}
