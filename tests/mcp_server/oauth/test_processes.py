"""An OAuth-only host against real processes: `dnc mcp --oauth` in front of `dnc serve`.

The SDK's `OAuthClientProvider` discovers, registers and sends a person (HTTP) to the consent
page; a read-only grant sees only the read tools; a tampered token is refused; the key is in
neither the server's log nor its store.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.mcp_server.live.processes import http_server, reference_server

from .client import Agent
from .flow import INITIALIZE, MCP_HEADERS, Flow, pkce
from .hosting import SECRET
from .person import Person

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]
KEY_A = "sk_live_oauth_process_team_a_4c2e9b1d7f"
KEYS = {KEY_A: "team_a", "sk_live_oauth_process_team_b_0d3a8e5c61": "team_b"}


async def test_an_oauth_only_host_reaches_a_real_dnc_mcp_in_front_of_a_real_deployment(
    tmp_path: Path,
) -> None:
    full, reader = Agent(Person(KEY_A)), Agent(Person(KEY_A, scopes=["dnc:read"]))
    env = {"DNC_MCP_OAUTH_SECRET": SECRET}
    with reference_server(tmp_path, KEYS) as api:
        env["DNC_BASE_URL"] = api.base_url
        with http_server(tmp_path, ["--oauth"], env) as server:
            async with full.connect(server.url) as client:
                added = await client.call_tool("dnc_add", {"url": "in/oauth-e2e"})
            async with reader.connect(server.url, "legacy") as client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                checked = await client.call_tool("dnc_check", {"url": "in/oauth-e2e"})
            assert reader.storage.tokens is not None
            token = reader.storage.tokens.access_token
            tampered_token = token[:-1] + ("y" if token.endswith("x") else "x")
            async with httpx.AsyncClient() as http:
                tampered = await http.post(
                    server.url,
                    json=INITIALIZE,
                    headers={**MCP_HEADERS, "authorization": f"Bearer {tampered_token}"},
                )
            log = server.stderr()
        store = (tmp_path / "server-data" / "mcp-oauth.db").read_bytes()
    assert not added.is_error
    assert tools == {"dnc_check", "dnc_check_many", "dnc_list"}
    assert checked.structured_content is not None
    assert checked.structured_content["onList"] is True
    assert tampered.status_code == 401
    assert "resource_metadata=" in tampered.headers["www-authenticate"]
    assert "OAuth: authorization server" in log
    assert KEY_A not in log
    assert KEY_A.encode() not in store


async def test_a_single_team_oauth_server_takes_only_its_own_teams_key_on_the_consent_page(
    tmp_path: Path,
) -> None:
    key_b = "sk_live_oauth_process_team_b_0d3a8e5c61"
    agent = Agent(Person(KEY_A))
    env = {"DNC_MCP_OAUTH_SECRET": SECRET, "DNC_API_KEY": KEY_A}
    with reference_server(tmp_path, KEYS) as api:
        env["DNC_BASE_URL"] = api.base_url
        with http_server(tmp_path, ["--oauth"], env) as server:
            async with httpx.AsyncClient() as http:
                flow = Flow(http, server.base_url)
                await flow.register()
                other_team = await Person(key_b).answer(flow.authorization_url(pkce()[1]))
            async with agent.connect(server.url) as client:
                added = await client.call_tool("dnc_add", {"url": "in/single-team-oauth"})
    assert other_team.status == 403  # not this server's team
    assert not added.is_error
    assert added.structured_content is not None
    assert added.structured_content["entry"]["teamId"] == "team_a"
