"""Whose key a request acts with: the server's own (single-tenant) or the caller's (multi-tenant).

Multi-tenant (`DNC_BASE_URL` set, `DNC_API_KEY` not, streamable HTTP): every MCP HTTP request
must carry `Authorization: Bearer <the team's DNC API key>`; `TeamKeyMiddleware` answers 401
without one. The key is put where the SDK keeps a request's credential (`auth_context_var`,
which the SDK carries from the HTTP request to the tool call), so the SDK also binds sessions
and `requestState` to it. `RequestScopedApi` then acts with that key for that request only:
each operation opens a client for the key, paced by the key's own budget (`PacingStates`,
keyed by the key's fingerprint) over one shared connection pool, and closes it. The key is never
stored, logged or echoed; the fingerprint stands for it in the audit log and in pacing.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeVar

import httpx
from mcp.server.auth.middleware.auth_context import auth_context_var, get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials
from starlette.types import ASGIApp, Receive, Scope, Send

from dnc_client import AsyncDncClient, operations
from dnc_client.bulk import CheckOutcome
from dnc_client.errors import AuthenticationError
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage
from dnc_client.operations import Operation
from dnc_client.pacing import Clock, PacingStates, Sleep
from dnc_client.progress import ProgressCallback
from mcp_server.errors import RequestKeyRejected

__all__ = [
    "FINGERPRINT_PREFIX",
    "ApiFactory",
    "LearningApi",
    "MultiTenant",
    "RequestScopedApi",
    "SingleTenant",
    "TeamDirectory",
    "TeamKeyMiddleware",
    "Tenancy",
    "bearer_key",
    "current_key",
    "key_fingerprint",
    "unauthorized_body",
]

T = TypeVar("T")
FINGERPRINT_PREFIX: Final = "fp_"
REALM: Final = "dnc-mcp"


def key_fingerprint(key: str) -> str:
    """A stable, non-reversible name for a key (audit log, pacing, session ownership).

    API keys are long random strings, so a plain domain-separated SHA-256 cannot be inverted;
    it is the same on every replica, so one team's records line up across them.
    """
    digest = hashlib.sha256(b"dnc-mcp/api-key-fingerprint/v1:" + key.encode()).hexdigest()
    return FINGERPRINT_PREFIX + digest[:16]


def bearer_key(headers: Mapping[str, str]) -> str | None:
    """The key in `Authorization: Bearer <key>`, or None when there is none."""
    value = headers.get("authorization", "")
    scheme, _, key = value.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or any(c.isspace() for c in key):
        return None
    return key


def unauthorized_body() -> bytes:
    return json.dumps(
        {
            "error": "unauthorized",
            "message": (
                "This MCP server serves many teams: send your team's DNC API key as"
                " 'Authorization: Bearer <key>' on every request."
            ),
        }
    ).encode()


class TeamKeyMiddleware:
    """Requires a bearer key on every request under `path`; other paths pass untouched."""

    def __init__(self, app: ASGIApp, *, path: str = "/mcp") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under(scope["path"], self.path):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = bearer_key(headers)
        if key is None:
            body = unauthorized_body()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", f'Bearer realm="{REALM}"'.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        user = AuthenticatedUser(AccessToken(token=key, client_id=key_fingerprint(key), scopes=[]))
        scope = dict(scope, user=user, auth=AuthCredentials([]))
        reset = auth_context_var.set(user)
        try:
            await self.app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def current_key() -> str | None:
    """The key of the MCP request being served (multi-tenant), if any."""
    token = get_access_token()
    return token.token if token is not None else None


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

    def __repr__(self) -> str:
        return f"ApiFactory(base_url={self._base_url!r}, keys paced={self.paced_keys})"

    @property
    def paced_keys(self) -> int:
        """How many keys have a pacing budget here (one per fingerprint)."""
        return len(self._pacing)

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[AsyncDncClient]:
        async with AsyncDncClient(
            self._base_url,
            key,
            transport=self._shared,
            pacing=self._pacing.for_key(key_fingerprint(key)),
            max_wait_s=self._max_wait_s,
            clock=self._clock,
            sleep=self._sleep,
        ) as client:
            yield client

    async def run(self, key: str, work: Callable[[AsyncDncClient], Awaitable[T]]) -> T:
        """`work` with a client for `key`; a rejected key says so for the caller's key, not ours."""
        async with self.open(key) as client:
            try:
                result = await work(client)
            except AuthenticationError as error:
                raise RequestKeyRejected(error.status, error.code, error.message) from None
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
        if key is None:  # TeamKeyMiddleware answers 401 first; this is a wiring fault
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
