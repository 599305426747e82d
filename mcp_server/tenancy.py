"""Whose key a request acts with: the server's own (single-tenant) or the caller's (multi-tenant).

Multi-tenant (`DNC_BASE_URL` set, `DNC_API_KEY` not, streamable HTTP): every MCP HTTP request
must carry `Authorization: Bearer <the team's DNC API key>`; `mcp_server.access` verifies it
against the API (401 for a key the API refuses) and puts it where the SDK keeps a request's
credential (`auth_context_var`, which the SDK carries from the HTTP request to the tool call),
so the SDK also binds sessions and `requestState` to it. `RequestScopedApi` then acts with that
key for that request only:
each operation opens a client for the key, paced by the key's own budget (`PacingStates`,
keyed by the key's fingerprint) over one shared connection pool, and closes it. Once the API
answers 401 to a client, that client sends nothing more (a bulk tool stops at once instead of
asking once per URL with a dead key), and the key is refused at the door (`on_rejected`). The
key is never stored, logged or echoed; the fingerprint stands for it in the audit log and in
pacing.
"""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeVar

import httpx
from mcp.server.auth.middleware.auth_context import get_access_token

from dnc_client import (
    AsyncDncClient,
    AuthenticationError,
    BatchResult,
    CheckOutcome,
    CheckResult,
    Clock,
    DncEntry,
    ListPage,
    Operation,
    PacingStates,
    ProgressCallback,
    Sleep,
    operations,
)
from dnc_kit.fingerprints import FINGERPRINT_PREFIX, key_fingerprint
from mcp_server.errors import RequestKeyRejected

__all__ = [
    "DEAD_KEY_QUIET_S",
    "FINGERPRINT_PREFIX",
    "ApiFactory",
    "DeadKeyGuard",
    "LearningApi",
    "MultiTenant",
    "RequestScopedApi",
    "SingleTenant",
    "TeamDirectory",
    "Tenancy",
    "current_key",
    "key_fingerprint",
]

T = TypeVar("T")


def current_key() -> str | None:
    """The key of the MCP request being served (multi-tenant), if any."""
    token = get_access_token()
    return token.token if token is not None and token.token else None


class TeamDirectory:
    """fingerprint -> team id, learnt from the API's answers (entries carry `teamId`)."""

    def __init__(self) -> None:
        self._teams: dict[str, str] = {}
        self._lock = threading.Lock()

    def learn(self, fingerprint: str, result: object) -> None:
        team = _team_of(result)
        if team is not None:
            with self._lock:
                self._teams[fingerprint] = team

    def team(self, fingerprint: str) -> str | None:
        return self._teams.get(fingerprint)


def _team_of(result: object) -> str | None:
    if isinstance(result, DncEntry):
        return result.team_id
    if isinstance(result, CheckResult) and result.entry is not None:
        return result.entry.team_id
    if isinstance(result, ListPage) and result.entries:
        return result.entries[0].team_id
    if isinstance(result, list):  # check_many's outcomes
        listed = (o.entry for o in result if isinstance(o, CheckOutcome) and o.entry is not None)
        return next((entry.team_id for entry in listed), None)
    return None


class _SharedTransport(httpx.AsyncBaseTransport):
    """One connection pool for every per-key client; closing a client leaves it open."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass  # the factory closes the pool


class _StopAfterUnauthorized(httpx.AsyncBaseTransport):
    """One client's view of the pool: after the API answers 401, every further request of that
    client is answered 401 here, unsent; a dead key costs one request, not one per URL."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.refused = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.refused:
            return httpx.Response(401, json=_NOT_SENT, request=request)
        response = await self._inner.handle_async_request(request)
        if response.status_code == 401:
            self.refused = True
        return response

    async def aclose(self) -> None:
        pass  # the factory closes the pool


DEAD_KEY_QUIET_S: Final = 30.0  # the server's own key after a 401: nothing sent for this long


class DeadKeyGuard(httpx.AsyncBaseTransport):
    """Single-tenant: the server's one key. After the API answers it 401, requests for the next
    `quiet_s` seconds are answered 401 here, unsent, so a bulk tool with a dead key costs one
    request instead of one per URL; then one request may try again (a key re-enabled upstream
    works without a restart)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None,
        *,
        quiet_s: float = DEAD_KEY_QUIET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self._quiet_s = quiet_s
        self._clock = clock
        self._quiet_until = 0.0
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._clock() < self._quiet_until:
            return httpx.Response(401, json=_NOT_SENT, request=request)
        self.sent += 1
        response = await self._inner.handle_async_request(request)
        if response.status_code == 401:
            self._quiet_until = self._clock() + self._quiet_s
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


_NOT_SENT: Final = {
    "error": "unauthorized",
    "message": "not sent: the DNC API already refused this key",
}


class ApiFactory:
    """Opens a short-lived `AsyncDncClient` for a key, paced by that key's own budget."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None,
        pacing: PacingStates,
        max_wait_s: float,
        clock: Clock,
        sleep: Sleep,
        directory: TeamDirectory | None = None,
    ) -> None:
        self._base_url = base_url
        self._pool = transport if transport is not None else httpx.AsyncHTTPTransport(retries=0)
        self._shared = _SharedTransport(self._pool)
        self._pacing = pacing
        self._max_wait_s = max_wait_s
        self._clock = clock
        self._sleep = sleep
        self.directory = directory or TeamDirectory()
        # Told of every key the API refuses during a tool call (the door then refuses it too).
        self.on_rejected: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        return f"ApiFactory(base_url={self._base_url!r}, keys paced={self.paced_keys})"

    @property
    def paced_keys(self) -> int:
        """How many keys have a pacing budget here (one per fingerprint)."""
        return len(self._pacing)

    def _client(self, key: str, transport: httpx.AsyncBaseTransport) -> AsyncDncClient:
        return AsyncDncClient(
            self._base_url,
            key,
            transport=transport,
            pacing=self._pacing.for_key(key_fingerprint(key)),
            max_wait_s=self._max_wait_s,
            clock=self._clock,
            sleep=self._sleep,
        )

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[AsyncDncClient]:
        async with self._client(key, _StopAfterUnauthorized(self._shared)) as client:
            yield client

    def _rejected(self, key: str, status: int, code: str, message: str) -> RequestKeyRejected:
        if self.on_rejected is not None:
            self.on_rejected(key)
        return RequestKeyRejected(status, code, message)

    async def run(self, key: str, work: Callable[[AsyncDncClient], Awaitable[T]]) -> T:
        """`work` with a client for `key`; a rejected key says so for the caller's key, not ours.

        A bulk operation reports a 401 per URL; once the API has refused the key, the whole
        call is the refusal (its per-URL answers were never sent).
        """
        breaker = _StopAfterUnauthorized(self._shared)
        async with self._client(key, breaker) as client:
            try:
                result = await work(client)
            except AuthenticationError as error:
                raise self._rejected(key, error.status, error.code, error.message) from None
        if breaker.refused:
            raise self._rejected(key, 401, "unauthorized", "the DNC API refused this key")
        self.directory.learn(key_fingerprint(key), result)
        return result

    async def call(self, key: str, operation: Operation[T]) -> T:
        """One operation with `key`."""
        return await self.run(key, lambda client: client.call(operation))

    async def aclose(self) -> None:
        await self._pool.aclose()


class RequestScopedApi:
    """`DncApi` acting with the key of the MCP request being served, for that request only."""

    def __init__(self, factory: ApiFactory) -> None:
        self.factory = factory

    def __repr__(self) -> str:
        return "RequestScopedApi()"

    def _key(self) -> str:
        key = current_key()
        if key is None:  # AccessMiddleware answers 401 first; this is a wiring fault
            raise RequestKeyRejected(401, "unauthorized", "no API key on this request")
        return key

    async def _call(self, operation: Operation[T]) -> T:
        return await self.factory.call(self._key(), operation)

    async def add(self, url: str) -> DncEntry:
        return await self._call(operations.add(url))

    async def add_batch(self, urls: Sequence[str]) -> BatchResult:
        return await self._call(operations.add_batch(urls))

    async def check(self, url: str) -> CheckResult:
        return await self._call(operations.check(url))

    async def list(self, limit: int, offset: int) -> ListPage:
        return await self._call(operations.list_page(limit, offset))

    async def delete(self, entry_id: str) -> str:
        return await self._call(operations.delete(entry_id))

    async def check_many(
        self, urls: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> builtins.list[CheckOutcome]:
        return await self.factory.run(
            self._key(), lambda client: client.check_many(urls, progress=progress)
        )


class Tenancy(Protocol):
    """Who the server acts for in the request being served."""

    def current_fingerprint(self) -> str: ...

    def key_to_hold(self) -> str | None:
        """The key an approval must keep in memory to delete later (None: the server has one)."""
        ...

    def team(self, fingerprint: str) -> str | None: ...

    def audit_fields(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class SingleTenant:
    """One configured key for every request."""

    fingerprint: str = FINGERPRINT_PREFIX + "unset"
    directory: TeamDirectory = field(default_factory=TeamDirectory)

    def current_fingerprint(self) -> str:
        return self.fingerprint

    def key_to_hold(self) -> str | None:
        return None

    def team(self, fingerprint: str) -> str | None:
        return self.directory.team(fingerprint)

    def audit_fields(self) -> dict[str, object]:
        return {"team": self.team(self.fingerprint), "key_fingerprint": self.fingerprint}


@dataclass(frozen=True)
class MultiTenant:
    """The key of each MCP request (`current_key`)."""

    directory: TeamDirectory

    def current_fingerprint(self) -> str:
        key = current_key()
        return key_fingerprint(key) if key is not None else FINGERPRINT_PREFIX + "none"

    def key_to_hold(self) -> str | None:
        return current_key()

    def team(self, fingerprint: str) -> str | None:
        return self.directory.team(fingerprint)

    def audit_fields(self) -> dict[str, object]:
        fingerprint = self.current_fingerprint()
        return {"team": self.team(fingerprint), "key_fingerprint": fingerprint}


class LearningApi:
    """Single-tenant: the server's one client, noting the team its answers name."""

    def __init__(self, api: AsyncDncClient, fingerprint: str, directory: TeamDirectory) -> None:
        self.client = api
        self._fingerprint = fingerprint
        self._directory = directory

    def __repr__(self) -> str:
        return f"LearningApi({self.client!r})"

    async def _learn(self, result: T) -> T:
        self._directory.learn(self._fingerprint, result)
        return result

    async def add(self, url: str) -> DncEntry:
        return await self._learn(await self.client.add(url))

    async def add_batch(self, urls: Sequence[str]) -> BatchResult:
        return await self.client.add_batch(urls)

    async def check(self, url: str) -> CheckResult:
        return await self._learn(await self.client.check(url))

    async def list(self, limit: int, offset: int) -> ListPage:
        return await self._learn(await self.client.list(limit, offset))

    async def delete(self, entry_id: str) -> str:
        return await self.client.delete(entry_id)

    async def check_many(
        self, urls: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> builtins.list[CheckOutcome]:
        return await self._learn(await self.client.check_many(urls, progress=progress))
