"""Per-request team keys: fingerprints, the key a request acts with, the in-memory key vault."""

from __future__ import annotations

from typing import Literal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mcp_server.access import AccessMiddleware, ApiKeyVerifier
from mcp_server.deletion.approval import KeyVault
from mcp_server.tenancy import current_key, key_fingerprint
from mcp_server.testing import FrozenClock

pytestmark = pytest.mark.anyio
KEY = "sk_live_tenancy_secret_7d2c9e"


def test_a_fingerprint_names_a_key_without_revealing_it() -> None:
    fingerprint = key_fingerprint(KEY)
    assert fingerprint == key_fingerprint(KEY)
    assert KEY not in fingerprint
    assert key_fingerprint(KEY + "x") != fingerprint


def _app() -> AccessMiddleware:
    async def whoami(request: Request) -> PlainTextResponse:
        key = current_key()
        return PlainTextResponse(key_fingerprint(key) if key else "nobody")

    async def probe(key: str) -> Literal["valid", "unknown", "unavailable"]:
        return "valid" if key == KEY else "unknown"

    routes = [Route("/mcp", whoami, methods=["POST"]), Route("/approve/x", whoami)]
    verifier = ApiKeyVerifier(probe, key_fingerprint)
    return AccessMiddleware(Starlette(routes=routes), verifier, path="/mcp")


async def test_a_tool_request_acts_with_the_verified_key_of_that_request_only() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        refused = await http.post("/mcp")
        junk = await http.post("/mcp", headers={"authorization": "Bearer not-a-team-key"})
        served = await http.post("/mcp", headers={"authorization": f"Bearer {KEY}"})
        page = await http.get("/approve/x")
    assert refused.status_code == 401
    assert junk.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="dnc-mcp"'
    assert served.text == key_fingerprint(KEY)
    assert page.text == "nobody"  # the human's page is not behind the MCP bearer
    assert current_key() is None  # nothing lingers after the request


def test_the_vault_holds_a_key_until_the_approval_ends_or_expires() -> None:
    clock = FrozenClock()
    vault = KeyVault(clock=clock)
    vault.hold("apr_1", KEY, until=clock.now + 10)
    vault.hold("apr_2", KEY, until=clock.now + 100)
    assert vault.key_for("apr_1") == KEY
    assert KEY not in repr(vault)
    vault.drop("apr_2")
    clock.advance(10)
    assert vault.key_for("apr_1") is None
    assert len(vault) == 0
