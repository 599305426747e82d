"""The SDK's own OAuth client (`OAuthClientProvider`) with a person answering its redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from .person import REDIRECT_URI, Person


@dataclass
class MemoryStorage(TokenStorage):
    tokens: OAuthToken | None = None
    client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


@dataclass
class Agent:
    """An OAuth-only host: discovers, registers, sends the person to the consent page."""

    person: Person
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    authorizations: int = 0
    _pending: str | None = None

    def provider(self, mcp_url: str) -> OAuthClientProvider:
        async def redirect(url: str) -> None:
            self._pending = url

        async def callback() -> AuthorizationCodeResult:
            assert self._pending is not None
            self.authorizations += 1
            answer = await self.person.answer(self._pending)
            query = answer.query
            return AuthorizationCodeResult(code=query.get("code"), state=query.get("state"))

        return OAuthClientProvider(
            mcp_url,
            OAuthClientMetadata(
                client_name="Test agent host",
                redirect_uris=[AnyUrl(REDIRECT_URI)],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            self.storage,
            redirect_handler=redirect,
            callback_handler=callback,
        )

    @asynccontextmanager
    async def connect(self, mcp_url: str, era: str = "auto") -> AsyncIterator[Client]:
        async with (
            httpx2.AsyncClient(auth=self.provider(mcp_url), timeout=60) as http,
            Client(streamable_http_client(mcp_url, http_client=http), mode=era) as client,
        ):
            yield client
