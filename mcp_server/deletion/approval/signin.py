"""Hosted servers: the approver signs in before the page shows anything deletable.

On a hosted server (off loopback, or many teams), an approval link reaches transcripts, logs and
whoever a prompt-injected model sends it to, so the link alone must not approve. The person
signs in with their team's API key (a password field), or, on an `--oauth` server, with an
OAuth access token of theirs that carries `dnc:delete` (its grant's team key stands in), and
the key is proven a member of the entry's team against the API itself, never from the form:
with that key, the pending entry must be on the list under the same id (ids are unique and
team-scoped, so only a key of the owning team sees it). The key is used for that one check
and dropped.

A successful sign-in yields a short-lived cookie, HMAC-signed and bound to the approval, its
team and the approver's key fingerprint (HttpOnly, SameSite=Strict, Secure over https, scoped to
the approval's path). Replicas verify each other's cookies when they share the state secret.
Failed attempts are limited per approval and per client address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from dnc_client import Clock
from mcp_server.deletion.approval.model import Approval

__all__ = [
    "COOKIE_NAME",
    "MAX_FAILURES",
    "SESSION_TTL_S",
    "ApproverSession",
    "MemberCheck",
    "SignIn",
]

COOKIE_NAME: Final = "dnc_approver"
SESSION_TTL_S: Final = 600.0
MAX_FAILURES: Final = 5  # failed sign-ins per approval, and per client address, per window
FAILURE_WINDOW_S: Final = 600.0
MAX_KEY_CHARS: Final = 512
_SECRET_LABEL: Final = b"dnc-mcp/approver-session/v1"
# (presented key, approval) -> the key's fingerprint when it is a member of the entry's team
MemberCheck = Callable[[str, Approval], Awaitable[str | None]]
DELETE_SCOPE: Final = "dnc:delete"


class _Grant(Protocol):
    @property
    def upstream_key(self) -> str: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...


class TokenSignIn(Protocol):
    """OAuth access tokens as a sign-in (`mcp_server.oauth.BearerVerifier`)."""

    def claims(self, token: str) -> bool: ...
    async def verify(self, token: str) -> _Grant | None: ...


@dataclass(frozen=True)
class ApproverSession:
    """Who signed in for which approval, until when."""

    approval_id: str
    approver: str  # the key's fingerprint
    expires_at: int


class SignIn:
    """Proves membership, issues and verifies approver cookies, limits failed attempts."""

    def __init__(
        self,
        *,
        check_member: MemberCheck,
        clock: Clock,
        secret: str | None = None,
        ttl_s: float = SESSION_TTL_S,
    ) -> None:
        self._check_member = check_member
        self._clock = clock
        base = secret.encode() if secret else secrets.token_bytes(32)
        self._key = hmac.new(base, _SECRET_LABEL, hashlib.sha256).digest()
        self._ttl_s = ttl_s
        self._failures: dict[str, list[float]] = {}
        self.oauth: TokenSignIn | None = None  # --oauth: a dnc:delete token signs in too

    def __repr__(self) -> str:  # never the signing key
        return "SignIn(<secret>)"

    # ---- attempts ------------------------------------------------------------------------------

    def blocked(self, approval_id: str, client: str) -> bool:
        """Whether this client address has failed too often lately, here or on any approval.

        Failures count per (approval, address) and per address, never per approval alone: a
        stranger holding the link must not be able to lock the real approver out.
        """
        now = self._clock()
        return any(
            len(self._recent(name, now)) >= MAX_FAILURES for name in _counters(approval_id, client)
        )

    async def attempt(self, key: str, approval: Approval, client: str) -> ApproverSession | None:
        """A session when `key` proves membership of the entry's team; None (counted) if not."""
        approver: str | None = None
        if self.oauth is not None and self.oauth.claims(key):
            # An OAuth token is never sent upstream as if it were a key: only its grant's key is.
            grant = await self.oauth.verify(key)
            if grant is not None and DELETE_SCOPE in grant.scopes:
                approver = await self._check_member(grant.upstream_key, approval)
        elif _plausible(key):
            approver = await self._check_member(key, approval)
        if approver is None:
            now = self._clock()
            for name in _counters(approval.id, client):
                self._recent(name, now).append(now)
            return None
        expires = int(min(self._clock() + self._ttl_s, approval.expires_at))
        return ApproverSession(approval.id, approver, expires)

    def _recent(self, name: str, now: float) -> list[float]:
        if len(self._failures) > 10_000:  # random addresses cannot grow it without bound
            self._failures.clear()
        recent = [t for t in self._failures.get(name, []) if now - t < FAILURE_WINDOW_S]
        self._failures[name] = recent
        return recent

    # ---- cookies -------------------------------------------------------------------------------

    def cookie_value(self, session: ApproverSession) -> str:
        payload = f"{session.approval_id}|{session.approver}|{session.expires_at}"
        return f"{_b64(payload.encode())}.{_b64(self._mac(payload))}"

    def session_from(self, cookie: str | None, approval_id: str) -> ApproverSession | None:
        """The signed-in session for this very approval, or None (absent, forged, expired)."""
        if not cookie or cookie.count(".") != 1:
            return None
        encoded, mac = cookie.split(".")
        try:
            payload = _unb64(encoded).decode()
            given = _unb64(mac)
        except ValueError:
            return None
        if not hmac.compare_digest(given, self._mac(payload)):
            return None
        parts = payload.split("|")
        if len(parts) != 3 or not parts[2].isdigit():
            return None
        session = ApproverSession(parts[0], parts[1], int(parts[2]))
        if session.approval_id != approval_id or self._clock() >= session.expires_at:
            return None
        return session

    def seconds_left(self, session: ApproverSession) -> int:
        return max(1, int(session.expires_at - self._clock()))

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).digest()


def _plausible(key: str) -> bool:
    """Could be an API key: sent as a bearer header, so visible ASCII only, and not huge."""
    return 0 < len(key) <= MAX_KEY_CHARS and all("!" <= c <= "~" for c in key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64") from error


def _counters(approval_id: str, client: str) -> tuple[str, str]:
    return (f"approval:{approval_id}:client:{client}", f"client:{client}")
