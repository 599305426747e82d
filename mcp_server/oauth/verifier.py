"""Who an OAuth bearer is: the seam where an operator's own identity provider plugs in.

`BearerVerifier` is the one small protocol. `dnc mcp`'s own authorization server implements it
(`DncOAuthProvider`); an operator's IdP would too, e.g. a JWT verifier that checks the
signature against the IdP's JWKS, `iss`, `exp` and `aud` (this server's resource URL), reads
a team claim, and looks that team's DNC API key up in the operator's own secret store.
`OAuthAuthenticator` turns what a verifier says into the `Credential` that `AccessMiddleware`
acts on, checking the audience and expiry itself as well, so a verifier that forgets cannot
let a token for another resource in.

A bearer that a verifier `claims` (its own token format) is never tried as a DNC API key:
no client's token is ever passed through to the DNC API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from mcp_server.access import Authenticator, Credential, Refusal

__all__ = ["BearerVerifier", "OAuthAuthenticator", "VerifiedBearer"]

logger = logging.getLogger("mcp_server")


@dataclass(frozen=True)
class VerifiedBearer:
    """What a verified token allows: act with `upstream_key`, within `scopes`."""

    upstream_key: str = field(repr=False)
    scopes: tuple[str, ...]
    resource: str | None  # the audience the token was issued for
    subject: str  # the grant (or the IdP's `sub`): who to revoke, what the log names
    expires_at: float | None = None


class BearerVerifier(Protocol):
    def claims(self, token: str) -> bool:
        """Whether `token` is of this verifier's kind (then it is never tried as an API key)."""
        ...

    async def verify(self, token: str) -> VerifiedBearer | None:
        """The token's grant, or None: unknown, tampered, expired or revoked."""
        ...


class OAuthAuthenticator(Authenticator):
    """OAuth bearers first; anything a verifier does not claim goes to `fallback` (the team
    API key header, for clients that send one), if there is one."""

    def __init__(
        self,
        verifier: BearerVerifier,
        *,
        resource_url: str,
        fingerprint: Callable[[str], str],
        fallback: Authenticator | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.verifier = verifier
        self.resource_url = resource_url
        self.fallback = fallback
        self._fingerprint = fingerprint
        self._clock = clock

    def __repr__(self) -> str:
        return f"OAuthAuthenticator({self.resource_url!r}, fallback={self.fallback!r})"

    def describe(self) -> str:
        also = f", or {self.fallback.describe()}" if self.fallback is not None else ""
        return f"an OAuth access token this server issued for {self.resource_url}{also}"

    def challenge_message(self) -> str:
        also = (
            " Clients that send headers may instead send their team's DNC API key."
            if self.fallback is not None
            else ""
        )
        return (
            "Sign in with OAuth: this server's protected resource metadata (see the"
            f" WWW-Authenticate header) names its authorization server.{also}"
        )

    async def authenticate(self, bearer: str) -> Credential | Refusal:
        if not self.verifier.claims(bearer):
            if self.fallback is None:
                return Refusal.UNKNOWN
            return await self.fallback.authenticate(bearer)
        verified = await self.verifier.verify(bearer)
        if verified is None:
            return Refusal.UNKNOWN
        if verified.resource is None or (
            verified.resource.rstrip("/").lower() != self.resource_url.rstrip("/").lower()
        ):
            logger.warning("refused an OAuth token issued for another resource")
            return Refusal.UNKNOWN
        if verified.expires_at is not None and verified.expires_at <= self._clock():
            return Refusal.UNKNOWN
        return Credential(
            kind="oauth",
            fingerprint=self._fingerprint(verified.upstream_key),
            upstream_key=verified.upstream_key,
            scopes=verified.scopes,
        )
