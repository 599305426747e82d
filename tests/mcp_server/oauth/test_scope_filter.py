"""Inside a session, the SDK middleware holds the scopes too: `tools/list` is narrowed and a
call of a hidden tool is a tool error naming the missing scope (what a client reaches when no
HTTP gate stands in front, e.g. a transport that carries the credential but not a 403)."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from mcp_server.testing import StackFactory

pytestmark = pytest.mark.anyio


async def test_a_read_scope_sees_read_tools_and_a_write_is_a_tool_error_naming_dnc_write(
    make_stack: StackFactory,
) -> None:
    user = AuthenticatedUser(AccessToken(token="", client_id="fp", scopes=["dnc:read"]))
    async with make_stack() as stack:
        reset = auth_context_var.set(user)  # as AccessMiddleware sets it for an HTTP request
        try:
            async with Client(stack.server) as client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                refused = await client.call_tool("dnc_add", {"url": "in/someone"})
                checked = await client.call_tool("dnc_check", {"url": "in/someone"})
        finally:
            auth_context_var.reset(reset)
    assert tools == {"dnc_check", "dnc_check_many", "dnc_list"}
    assert refused.is_error
    assert "dnc:write" in str(refused.content)
    assert not checked.is_error


async def test_without_a_credential_stdio_keeps_every_tool_its_mode_offers(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack, Client(stack.server) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
    assert "dnc_delete" in tools
    assert "dnc_add" in tools
