"""The OAuth protocol by hand (registration, PKCE, code, token, refresh, revoke), for the tests
that send what the SDK client never would: wrong verifiers, replayed codes, old tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from .person import REDIRECT_URI, Person

MCP_HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": "2025-11-25",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class Flow:
    http: httpx.AsyncClient
    base_url: str
    client_id: str = ""

    async def register(self, **metadata: Any) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.base_url}/register",
            json={
                "client_name": "Hand-driven client",
                "redirect_uris": [REDIRECT_URI],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
                **metadata,
            },
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        self.client_id = body["client_id"]
        return body

    def authorization_url(self, challenge: str, **params: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "state-123",
            "resource": f"{self.base_url}/mcp",
            **params,
        }
        return f"{self.base_url}/authorize?{urlencode(query)}"

    async def code(self, person: Person, challenge: str, **params: str) -> str:
        answer = await person.answer(self.authorization_url(challenge, **params))
        assert answer.query["state"] == "state-123"
        return answer.query["code"]

    async def token(self, **form: str) -> httpx.Response:
        return await self.http.post(
            f"{self.base_url}/token", data={"client_id": self.client_id, **form}
        )

    async def exchange(self, code: str, verifier: str) -> httpx.Response:
        return await self.token(
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
            redirect_uri=REDIRECT_URI,
        )

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.token(grant_type="refresh_token", refresh_token=refresh_token)

    async def tokens(self, person: Person, **params: str) -> dict[str, Any]:
        verifier, challenge = pkce()
        response = await self.exchange(await self.code(person, challenge, **params), verifier)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def revoke(self, token: str) -> httpx.Response:
        return await self.http.post(
            f"{self.base_url}/revoke",
            # The SDK's handler wants client_secret present, empty for a public client.
            data={"client_id": self.client_id, "client_secret": "", "token": token},
        )

    async def call_mcp(self, token: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(
            f"{self.base_url}/mcp",
            json=body or INITIALIZE,
            headers={**MCP_HEADERS, "authorization": f"Bearer {token}"},
        )
