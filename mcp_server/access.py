"""Who may call `dnc mcp` over HTTP: every request to /mcp is checked here, before the SDK.

A request carries one bearer credential (`Authorization: Bearer ...`). An `Authenticator` turns
it into a `Credential` or refuses it:

- single-team (`StaticBearers`): the server's own bearer, `DNC_MCP_TOKEN`, or (without one,
  on loopback only) the team's DNC API key; compared in constant time;
- multi-team (`ApiKeyVerifier`): a team's DNC API key, verified against the DNC API with one
  cheap read before it may open a session, the answer cached for a short while (a refusal too),
  so an unknown key gets 401 and never reaches the SDK's session table.

OAuth access tokens (`--oauth`) are one more `Authenticator` (`mcp_server.oauth`): it returns
a `Credential` of kind "oauth" with the grant's upstream key and its scopes. A team key or the
server's token carries every scope (`FULL_SCOPES`).

`AccessMiddleware` answers 401 (`WWW-Authenticate: Bearer realm="dnc-mcp"`, with
`resource_metadata="..."` and `scope="..."` when OAuth is on) or 503 (the API could not say)
itself; an accepted credential is put where the SDK keeps a request's
credential (`auth_context_var`), so the SDK binds sessions to it. `SessionLimits` caps the
sessions one credential holds open; the SDK caps them in total and closes idle ones.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import anyio
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MAX_SESSIONS_PER_CREDENTIAL",
    "DEFAULT_SESSION_IDLE_S",
    "FULL_SCOPES",
    "REALM",
    "REJECTED_TTL_S",
    "VERIFIED_TTL_S",
    "VERIFY_CACHE_MAX",
    "VERIFY_CONCURRENCY",
    "AccessMiddleware",
    "ApiKeyVerifier",
    "Authenticator",
    "Credential",
    "CredentialKind",
    "KeyProbe",
    "Refusal",
    "SessionLimits",
    "StaticBearers",
    "bearer_token",
]

logger = logging.getLogger("mcp_server")

REALM: Final = "dnc-mcp"
VERIFIED_TTL_S: Final = 60.0  # a key the API accepted is trusted this long without asking again
REJECTED_TTL_S: Final = 30.0  # a key the API refused is refused this long without asking again
VERIFY_CACHE_MAX: Final = 10_000  # keys remembered (least recently used forgotten first)
VERIFY_CONCURRENCY: Final = 8  # verifications in flight at once: a flood of junk waits its turn
DEFAULT_MAX_SESSIONS: Final = 10_000  # open MCP sessions in total (the SDK enforces it)
# Per credential: many agents of one team share a key (and clients rarely end sessions), but
# no one credential may take the whole table from the others.
DEFAULT_MAX_SESSIONS_PER_CREDENTIAL: Final = 200
DEFAULT_SESSION_IDLE_S: Final = 900.0  # a session without a request this long is closed
UNAVAILABLE_RETRY_S: Final = 5

CredentialKind = Literal["mcp-token", "team-key", "api-key", "oauth"]
# What a credential may do (mcp_server.oauth.scopes enforces it); a key or token: everything.
FULL_SCOPES: Final = ("dnc:read", "dnc:write", "dnc:delete")


@dataclass(frozen=True)
class Credential:
    """An accepted caller. `upstream_key`: the DNC API key to act with (None: the server's own)."""

    kind: CredentialKind
    fingerprint: str
    upstream_key: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = FULL_SCOPES


class Refusal(enum.Enum):
    UNKNOWN = 401  # not a credential of this server
    UNAVAILABLE = 503  # the DNC API could not say; retry shortly


class Authenticator:
    """Turns a presented bearer into a `Credential`, or refuses it."""

    def describe(self) -> str:
        raise NotImplementedError

    def challenge_message(self) -> str:
        raise NotImplementedError

    async def authenticate(self, bearer: str) -> Credential | Refusal:
        raise NotImplementedError


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


class StaticBearers(Authenticator):
    """Single-team: a fixed set of accepted bearers, compared in constant time."""

    def __init__(
        self, accepted: Sequence[tuple[CredentialKind, str]], fingerprint: Callable[[str], str]
    ) -> None:
        if not accepted:
            raise ValueError("a single-team HTTP server needs at least one accepted bearer")
        # Digests of equal length: compare_digest then takes the same time for any guess.
        self._accepted = [(kind, _digest(secret), fingerprint(secret)) for kind, secret in accepted]
        self._kinds = [kind for kind, _ in accepted]

    def __repr__(self) -> str:
        return f"StaticBearers({self._kinds})"

    def describe(self) -> str:
        names = {
            "mcp-token": "the server's token (DNC_MCP_TOKEN)",
            "team-key": "the team's DNC API key",
            "api-key": "a team's DNC API key",
        }
        return " or ".join(names[kind] for kind in self._kinds)

    def challenge_message(self) -> str:
        return (
            f"This MCP server serves one team: send {self.describe()} as"
            " 'Authorization: Bearer <token>' on every request."
        )

    async def authenticate(self, bearer: str) -> Credential | Refusal:
        presented = _digest(bearer)
        found: Credential | None = None
        for kind, digest, fingerprint in self._accepted:  # no early exit: same time for all
            if hmac.compare_digest(presented, digest) and found is None:
                found = Credential(kind=kind, fingerprint=fingerprint)
        return found if found is not None else Refusal.UNKNOWN


KeyProbe = Callable[[str], Awaitable[Literal["valid", "unknown", "unavailable"]]]


@dataclass
class _Verdict:
    valid: bool
    until: float


class ApiKeyVerifier(Authenticator):
    """Multi-team: a key is a credential when the DNC API accepts it (`probe`), cached by
    fingerprint: accepted for `verified_ttl_s`, refused for `rejected_ttl_s`. Concurrent
    requests with one key share one probe; at most `concurrency` probes run at once."""

    def __init__(
        self,
        probe: KeyProbe,
        fingerprint: Callable[[str], str],
        *,
        verified_ttl_s: float = VERIFIED_TTL_S,
        rejected_ttl_s: float = REJECTED_TTL_S,
        max_entries: int = VERIFY_CACHE_MAX,
        concurrency: int = VERIFY_CONCURRENCY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._fingerprint = fingerprint
        self._verified_ttl_s = verified_ttl_s
        self._rejected_ttl_s = rejected_ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._verdicts: OrderedDict[str, _Verdict] = OrderedDict()
        self._pending: dict[str, anyio.Event] = {}
        self._limiter = anyio.Semaphore(concurrency)
        self.probes = 0  # upstream verifications sent (tests, logs)

    def __repr__(self) -> str:
        return f"ApiKeyVerifier(cached={len(self._verdicts)}, probes={self.probes})"

    def describe(self) -> str:
        return "any team whose DNC API key the API accepts (verified before a session opens)"

    def challenge_message(self) -> str:
        return (
            "This MCP server serves many teams: send your team's DNC API key as"
            " 'Authorization: Bearer <key>' on every request. A key the DNC API does not"
            " accept is refused."
        )

    def _cached(self, fingerprint: str) -> bool | None:
        verdict = self._verdicts.get(fingerprint)
        if verdict is None:
            return None
        if verdict.until <= self._clock():
            del self._verdicts[fingerprint]
            return None
        self._verdicts.move_to_end(fingerprint)
        return verdict.valid

    def _remember(self, fingerprint: str, valid: bool) -> None:
        ttl = self._verified_ttl_s if valid else self._rejected_ttl_s
        self._verdicts[fingerprint] = _Verdict(valid, self._clock() + ttl)
        self._verdicts.move_to_end(fingerprint)
        while len(self._verdicts) > self._max_entries:
            self._verdicts.popitem(last=False)

    def reject(self, key: str) -> None:
        """The API refused `key` during a tool call: refuse it at the door from now on."""
        self._remember(self._fingerprint(key), False)

    def credential(self, key: str, fingerprint: str) -> Credential:
        return Credential(kind="api-key", fingerprint=fingerprint, upstream_key=key)

    async def authenticate(self, bearer: str) -> Credential | Refusal:
        fingerprint = self._fingerprint(bearer)
        while True:
            cached = self._cached(fingerprint)
            if cached is not None:
                return self.credential(bearer, fingerprint) if cached else Refusal.UNKNOWN
            pending = self._pending.get(fingerprint)
            if pending is None:
                break
            await pending.wait()  # then the cache, or (it could not say) a probe of our own
        done = self._pending[fingerprint] = anyio.Event()
        try:
            async with self._limiter:
                self.probes += 1
                answer = await self._probe(bearer)
        finally:
            del self._pending[fingerprint]
            done.set()
        if answer == "unavailable":
            return Refusal.UNAVAILABLE
        self._remember(fingerprint, answer == "valid")
        return self.credential(bearer, fingerprint) if answer == "valid" else Refusal.UNKNOWN


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token in `Authorization: Bearer <token>`, or None when there is none."""
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        return None
    return token


@dataclass
class _Session:
    owner: str
    in_flight: int = 0
    last_seen: float = 0.0


class SessionLimits:
    """At most `per_credential` open MCP sessions per credential.

    It watches the SDK's answers: a successful request without `mcp-session-id` that is
    answered with one opened a session; a 404 for a session, or a successful DELETE, ended it;
    a session with nothing in flight for longer than the SDK's idle timeout has been closed by
    the SDK. Stateless servers hand out no session ids, so nothing is counted there.
    """

    def __init__(
        self, per_credential: int, idle_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_credential = per_credential
        self.idle_s = idle_s
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._opening: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"SessionLimits(per_credential={self.per_credential}, open={len(self._sessions)})"

    def open_sessions(self, owner: str) -> int:
        self._forget_idle()
        return sum(1 for s in self._sessions.values() if s.owner == owner)

    def _forget_idle(self) -> None:
        # A second of slack: the SDK's idle timer runs on its own clock and fires a bit after.
        horizon = self._clock() - self.idle_s - 1.0
        for sid in [
            sid for sid, s in self._sessions.items() if s.in_flight == 0 and s.last_seen < horizon
        ]:
            del self._sessions[sid]

    async def __call__(
        self, owner: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        session_id = headers.get("mcp-session-id")
        if session_id is None and scope["method"] == "POST":
            await self._open(owner, app, scope, receive, send)
            return
        tracked = self._sessions.get(session_id) if session_id is not None else None
        if tracked is None or tracked.owner != owner:  # the SDK answers 404 for a stranger
            await app(scope, receive, send)
            return
        status = _Status(send)
        tracked.in_flight += 1
        try:
            await app(scope, receive, status)
        finally:
            tracked.in_flight -= 1
            tracked.last_seen = self._clock()
        assert session_id is not None
        ended = status.code == 404 or (scope["method"] == "DELETE" and 200 <= status.code < 300)
        if ended:
            self._sessions.pop(session_id, None)

    async def _open(
        self, owner: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        opening = self._opening.get(owner, 0)
        if self.open_sessions(owner) + opening >= self.per_credential:
            logger.warning(
                "refused a new MCP session: credential %s already holds %d (the cap)",
                owner,
                self.per_credential,
            )
            await _reply(
                send,
                429,
                _jsonrpc_error(
                    f"Too many open sessions for this credential (at most {self.per_credential})."
                    " End one (HTTP DELETE with its mcp-session-id) or reuse it; idle sessions"
                    f" close after {self.idle_s:g} s."
                ),
            )
            return
        self._opening[owner] = opening + 1
        status = _Status(send)
        try:
            await app(scope, receive, status)
        finally:
            left = self._opening[owner] - 1
            if left:
                self._opening[owner] = left
            else:
                del self._opening[owner]
        if status.session_id is not None and status.code < 400:
            self._sessions[status.session_id] = _Session(owner, last_seen=self._clock())


class _Status:
    """Passes messages on; notes the response's status and `mcp-session-id`."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.code = 0
        self.session_id: str | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.code = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"mcp-session-id":
                    self.session_id = value.decode("latin-1")
        await self._send(message)


def _jsonrpc_error(message: str) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}


async def _reply(
    send: Send, status: int, body: Mapping[str, object], extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    encoded = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(encoded)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})


class AccessMiddleware:
    """Every request under `path` must carry a credential `authenticator` accepts; others
    (the approval page) pass untouched. Accepted requests go through `sessions`, if any."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        path: str = "/mcp",
        sessions: SessionLimits | None = None,
        resource_metadata_url: str | None = None,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.path = path
        self.sessions = sessions
        self.resource_metadata_url = resource_metadata_url  # OAuth on: RFC 9728 discovery

    def challenge(self, presented: bool) -> str:
        if self.resource_metadata_url is None:
            return f'Bearer realm="{REALM}"'
        error = ' error="invalid_token",' if presented else ""  # RFC 6750 §3.1
        return (
            f'Bearer realm="{REALM}",{error} resource_metadata="{self.resource_metadata_url}",'
            f' scope="{" ".join(FULL_SCOPES)}"'
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under(scope["path"], self.path):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        bearer = bearer_token(headers)
        verdict = (
            await self.authenticator.authenticate(bearer) if bearer is not None else Refusal.UNKNOWN
        )
        if verdict is Refusal.UNAVAILABLE:
            await _reply(
                send,
                503,
                {
                    "error": "unavailable",
                    "message": "The DNC API could not verify this key just now; retry shortly.",
                },
                [(b"retry-after", str(UNAVAILABLE_RETRY_S).encode())],
            )
            return
        if isinstance(verdict, Refusal):
            await _reply(
                send,
                401,
                {"error": "unauthorized", "message": self.authenticator.challenge_message()},
                [(b"www-authenticate", self.challenge(bearer is not None).encode())],
            )
            return
        token = AccessToken(
            token=verdict.upstream_key or "",
            client_id=verdict.fingerprint,
            scopes=list(verdict.scopes),
        )
        user = AuthenticatedUser(token)
        scope = dict(scope, user=user, auth=AuthCredentials(list(verdict.scopes)))
        reset = auth_context_var.set(user)
        try:
            if self.sessions is None:
                await self.app(scope, receive, send)
            else:
                await self.sessions(verdict.fingerprint, self.app, scope, receive, send)
        finally:
            auth_context_var.reset(reset)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")
