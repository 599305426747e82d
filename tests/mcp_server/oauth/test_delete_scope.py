"""Deleting needs `dnc:delete`: without it `dnc_delete` is hidden and refused, and only a token
with it signs an approver in on the approval page (besides the team's key)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.mcp_server.live import browser
from tests.mcp_server.live.hosting import team_client
from tests.mcp_server.live.test_multi_tenant import data

from .client import Agent
from .flow import Flow
from .hosting import KEY_A, oauth_server
from .person import Person

pytestmark = pytest.mark.anyio
VICTIM = "in/removed-through-oauth"


async def test_a_token_with_dnc_delete_signs_the_approver_in_and_the_entry_goes(
    tmp_path: Path,
) -> None:
    agent = Agent(Person(KEY_A))
    async with oauth_server(tmp_path) as hosting:
        async with agent.connect(hosting.url) as client:
            data(await client.call_tool("dnc_add", {"url": VICTIM}))
            link = data(await client.call_tool("dnc_delete", {"url": VICTIM}))["approval_url"]
        assert agent.storage.tokens is not None
        signed = await browser.sign_in(link, agent.storage.tokens.access_token)
        page = await browser.open_page(link, cookie=signed.cookie or "")
        approved = await browser.submit(
            link, "approve", page.secret, cookie=signed.cookie, username=page.username_asked
        )
        async with team_client(hosting.url, KEY_A) as check:
            gone = not data(await check.call_tool("dnc_check", {"url": VICTIM}))["onList"]
    assert signed.status == 303
    assert approved.status == 200
    assert gone


async def test_without_dnc_delete_the_tool_is_hidden_refused_and_no_sign_in(
    tmp_path: Path,
) -> None:
    async with oauth_server(tmp_path) as hosting:
        async with team_client(hosting.url, KEY_A) as owner:
            data(await owner.call_tool("dnc_add", {"url": VICTIM}))
            link = data(await owner.call_tool("dnc_delete", {"url": VICTIM}))["approval_url"]
        async with httpx.AsyncClient() as http:
            flow = Flow(http, hosting.base_url)
            await flow.register()
            token = (await flow.tokens(Person(KEY_A, scopes=["dnc:read", "dnc:write"])))[
                "access_token"
            ]
            refused = await flow.call_mcp(
                token,
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "tools/call",
                    "params": {"name": "dnc_delete", "arguments": {"url": VICTIM}},
                },
            )
        signed = await browser.sign_in(link, token)
        async with team_client(hosting.url, KEY_A) as check:
            still = data(await check.call_tool("dnc_check", {"url": VICTIM}))["onList"]
    assert refused.status_code == 403
    assert 'scope="dnc:read dnc:write dnc:delete"' in refused.headers["www-authenticate"]
    assert signed.status == 403
    assert signed.cookie is None
    assert still
