"""`dnc mcp` as its own OAuth 2.1 authorization server: the SDK's provider protocol over a
`GrantStore`.

The SDK's handlers (`mcp.server.auth.routes`) do the protocol: metadata, registration, PKCE
S256 checks, client authentication, token and revocation endpoints. This class decides:

- `authorize` parks the request (client, redirect URI, PKCE challenge, scopes, a CSRF token)
  and sends the browser to the consent page; `approve` (after the person proved a team key)
  seals the key into a new grant and answers with a single-use code (5 minutes);
- a code and a refresh token are taken from the store in one step (`take`), so each is used
  once; a code or refresh token presented again after its use revokes the whole grant
  (RFC 6749 §4.1.2 and OAuth 2.1's refresh rotation: someone else holds a copy);
- access tokens are opaque, random, 15 minutes, bound to this server's resource URL, stored by
  digest; refresh tokens rotate on every use;
- revoking any token deletes its grant: every access and refresh token of it stops at once.

The team key is sealed (`KeySealer`) with the grant id as associated data and opened only to
act upstream (`verify`); it never leaves the server, and no token is ever the key.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from mcp_server.oauth.crypto import KeySealer, SealError, new_token, token_digest
from mcp_server.oauth.scopes import ALL_SCOPES
from mcp_server.oauth.store import GrantStore, Record
from mcp_server.oauth.verifier import VerifiedBearer

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "ACCESS_TTL_S",
    "CODE_TTL_S",
    "CONSENT_TTL_S",
    "REFRESH_TOKEN_PREFIX",
    "REFRESH_TTL_S",
    "ConsentRequest",
    "DncOAuthProvider",
    "same_resource",
]

ACCESS_TOKEN_PREFIX: Final = "dncat_"  # noqa: S105 (a prefix, not a secret)
REFRESH_TOKEN_PREFIX: Final = "dncrt_"  # noqa: S105
CODE_PREFIX: Final = "dncac_"
CODE_TTL_S: Final = 300.0
ACCESS_TTL_S: Final = 900.0
REFRESH_TTL_S: Final = 30 * 24 * 3600.0
CONSENT_TTL_S: Final = 600.0  # a consent page left open this long must be started again
# Open registration must not let strangers fill the store: a client that never gets a code is
# forgotten after a day (its first code exchange keeps it as long as its refresh tokens), and
# what it may register is bounded.
UNUSED_CLIENT_TTL_S: Final = 24 * 3600.0
MAX_CLIENT_NAME_CHARS: Final = 200
MAX_REDIRECT_URIS: Final = 10
MAX_REDIRECT_URI_CHARS: Final = 2000
USED_MARK_TTL_S: Final = REFRESH_TTL_S  # how long a used code or refresh token is remembered
logger = logging.getLogger("mcp_server")


def same_resource(a: str | None, b: str) -> bool:
    """RFC 8707 resource indicators compared as the SDK does (a trailing slash aside)."""
    return a is not None and a.rstrip("/").lower() == b.rstrip("/").lower()


@dataclass(frozen=True)
class ConsentRequest:
    """An authorization request waiting for a person, as the consent page shows it."""

    id: str
    client_id: str
    client_name: str
    redirect_uri: str
    state: str | None
    scopes: tuple[str, ...]
    csrf: str
    failures: int = 0


class DncOAuthProvider:
    """`OAuthAuthorizationServerProvider` (and a `BearerVerifier`) over `store`."""

    def __init__(
        self,
        store: GrantStore,
        sealer: KeySealer,
        *,
        issuer_url: str,
        resource_url: str,
        consent_path: str,
        fingerprint: Callable[[str], str],
        clock: Callable[[], float] = time.time,
        access_ttl_s: float = ACCESS_TTL_S,
        refresh_ttl_s: float = REFRESH_TTL_S,
    ) -> None:
        self.store = store
        self._sealer = sealer
        self.issuer_url = issuer_url
        self.resource_url = resource_url
        self._consent_url = issuer_url.rstrip("/") + consent_path
        self._fingerprint = fingerprint
        self._clock = clock
        self._access_ttl_s = access_ttl_s
        self._refresh_ttl_s = refresh_ttl_s

    def __repr__(self) -> str:
        return f"DncOAuthProvider(resource={self.resource_url!r}, store={self.store!r})"

    # ---- clients --------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        record = await self.store.get("client", client_id)
        return None if record is None else OAuthClientInformationFull.model_validate(record)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        if client_info.client_id is None:
            raise RegistrationError("invalid_client_metadata", "no client id was assigned")
        if len(client_info.client_name or "") > MAX_CLIENT_NAME_CHARS:
            raise RegistrationError(
                "invalid_client_metadata",
                f"client_name is limited to {MAX_CLIENT_NAME_CHARS} characters",
            )
        uris = client_info.redirect_uris or []
        if len(uris) > MAX_REDIRECT_URIS or any(
            len(str(uri)) > MAX_REDIRECT_URI_CHARS for uri in uris
        ):
            raise RegistrationError(
                "invalid_redirect_uri",
                f"at most {MAX_REDIRECT_URIS} redirect URIs of {MAX_REDIRECT_URI_CHARS} characters",
            )
        for uri in uris:
            if uri.scheme == "http" and uri.host not in ("localhost", "127.0.0.1", "[::1]"):
                raise RegistrationError(
                    "invalid_redirect_uri", "an http redirect URI must be on loopback; use https"
                )
        await self._keep_client(client_info, UNUSED_CLIENT_TTL_S)

    async def _keep_client(
        self, client: OAuthClientInformationFull, ttl_s: float | None = None
    ) -> None:
        """A client in use is kept as long as a refresh token of it may live; a new one only a
        day, until its first code exchange: open registration cannot fill the store."""
        assert client.client_id is not None
        await self.store.put(
            "client",
            client.client_id,
            client.model_dump(mode="json"),
            self._refresh_ttl_s if ttl_s is None else ttl_s,
        )

    # ---- the authorization request and the person's answer ----------------------------------

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        if params.resource is not None and not same_resource(params.resource, self.resource_url):
            raise AuthorizeError(
                "invalid_target", f"this server issues tokens for {self.resource_url}"
            )
        registered = (client.scope or " ".join(ALL_SCOPES)).split()
        wanted = params.scopes or registered
        scopes = tuple(s for s in ALL_SCOPES if s in wanted)
        if not scopes:
            raise AuthorizeError("invalid_scope", f"ask for one of: {' '.join(ALL_SCOPES)}")
        request_id = secrets.token_urlsafe(24)
        record = {
            "client_id": client.client_id,
            "client_name": client.client_name or client.client_id,
            "redirect_uri": str(params.redirect_uri),
            "explicit": params.redirect_uri_provided_explicitly,
            "state": params.state,
            "scopes": list(scopes),
            "code_challenge": params.code_challenge,
            "csrf": secrets.token_urlsafe(32),
            "failures": 0,
        }
        await self.store.put("consent", request_id, record, CONSENT_TTL_S)
        return f"{self._consent_url}?{urlencode({'request': request_id})}"

    async def consent_request(self, request_id: str) -> ConsentRequest | None:
        record = await self.store.get("consent", request_id) if request_id else None
        return None if record is None else _consent(request_id, record)

    async def count_failure(self, request: ConsentRequest, limit: int) -> bool:
        """Note a refused key; False (and the request is gone) once `limit` is reached."""
        record = await self.store.take("consent", request.id)
        if record is None:
            return False
        record["failures"] = int(record.get("failures", 0)) + 1
        if record["failures"] >= limit:
            return False
        await self.store.put("consent", request.id, record, CONSENT_TTL_S)
        return True

    async def decline(self, request_id: str) -> str | None:
        """The client's redirect with `access_denied`; None when the request is gone."""
        record = await self.store.take("consent", request_id)
        if record is None:
            return None
        return construct_redirect_uri(
            record["redirect_uri"],
            error="access_denied",
            error_description="the person declined",
            state=record["state"],
        )

    async def approve(self, request_id: str, key: str, scopes: Sequence[str]) -> str | None:
        """A grant for `key` (already proven) with `scopes` (within those asked for), and the
        client's redirect carrying a fresh code; None when the request is gone or was used."""
        record = await self.store.take("consent", request_id)
        if record is None:
            return None
        chosen = [s for s in record["scopes"] if s in scopes]
        grant_id = secrets.token_urlsafe(18)
        now = self._clock()
        await self.store.put(
            "grant",
            grant_id,
            {
                "client_id": record["client_id"],
                "key": self._sealer.seal(key, context=grant_id),
                "team": self._fingerprint(key),
                "scopes": chosen,
                "created_at": now,
            },
            CODE_TTL_S + 60,  # extended when the code is exchanged
        )
        code = new_token(CODE_PREFIX)
        await self.store.put(
            "code",
            token_digest(code),
            {
                "grant": grant_id,
                "client_id": record["client_id"],
                "scopes": chosen,
                "code_challenge": record["code_challenge"],
                "redirect_uri": record["redirect_uri"],
                "explicit": record["explicit"],
                "expires_at": now + CODE_TTL_S,
            },
            CODE_TTL_S,
        )
        logger.info(
            "OAuth grant %s approved for client %s (team key %s, scopes %s)",
            grant_id,
            record["client_id"],
            self._fingerprint(key),
            " ".join(chosen),
        )
        return construct_redirect_uri(record["redirect_uri"], code=code, state=record["state"])

    # ---- codes ------------------------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        digest = token_digest(authorization_code)
        record = await self.store.get("code", digest)
        if record is None:
            await self._revoke_if_reused("used-code", digest)
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=record["scopes"],
            expires_at=record["expires_at"],
            client_id=record["client_id"],
            code_challenge=record["code_challenge"],
            redirect_uri=record["redirect_uri"],
            redirect_uri_provided_explicitly=record["explicit"],
            resource=self.resource_url,
            subject=record["grant"],
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        digest = token_digest(authorization_code.code)
        record = await self.store.take("code", digest)  # the one step that makes it single-use
        if record is None or record["client_id"] != client.client_id:
            raise TokenError("invalid_grant", "authorization code was already used or is unknown")
        grant_id = record["grant"]
        await self.store.put("used-code", digest, {"grant": grant_id}, CODE_TTL_S * 2)
        grant = await self.store.get("grant", grant_id)
        if grant is None:
            raise TokenError("invalid_grant", "the grant was revoked")
        await self.store.put("grant", grant_id, grant, self._refresh_ttl_s)
        await self._keep_client(client)
        return await self._issue(grant_id, client.client_id or "", record["scopes"])

    # ---- refresh ----------------------------------------------------------------------------

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        digest = token_digest(refresh_token)
        record = await self.store.get("refresh", digest)
        if record is None:
            await self._revoke_if_reused("used-refresh", digest)
            return None
        if await self.store.get("grant", record["grant"]) is None:
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=record["client_id"],
            scopes=record["scopes"],
            expires_at=int(record["expires_at"]),
            resource=self.resource_url,
            subject=record["grant"],
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        digest = token_digest(refresh_token.token)
        record = await self.store.take("refresh", digest)
        if record is None or record["client_id"] != client.client_id:
            raise TokenError("invalid_grant", "refresh token was already used or is unknown")
        await self.store.put("used-refresh", digest, {"grant": record["grant"]}, USED_MARK_TTL_S)
        grant = await self.store.get("grant", record["grant"])
        if grant is None:
            raise TokenError("invalid_grant", "the grant was revoked")
        if self._sealer.needs_reseal(grant["key"]):  # sealed under a retiring secret
            key = self._sealer.open(grant["key"], context=record["grant"])
            grant["key"] = self._sealer.seal(key, context=record["grant"])
        await self.store.put("grant", record["grant"], grant, self._refresh_ttl_s)
        await self._keep_client(client)
        kept = [s for s in record["scopes"] if s in scopes]
        return await self._issue(record["grant"], client.client_id or "", kept)

    async def _issue(self, grant_id: str, client_id: str, scopes: list[str]) -> OAuthToken:
        now = self._clock()
        access, refresh = new_token(ACCESS_TOKEN_PREFIX), new_token(REFRESH_TOKEN_PREFIX)
        common = {"grant": grant_id, "client_id": client_id, "scopes": scopes}
        await self.store.put(
            "access",
            token_digest(access),
            {**common, "expires_at": now + self._access_ttl_s, "resource": self.resource_url},
            self._access_ttl_s,
        )
        await self.store.put(
            "refresh",
            token_digest(refresh),
            {**common, "expires_at": now + self._refresh_ttl_s},
            self._refresh_ttl_s,
        )
        return OAuthToken(
            access_token=access,
            token_type="Bearer",  # noqa: S106
            expires_in=int(self._access_ttl_s),
            scope=" ".join(scopes),
            refresh_token=refresh,
        )

    async def _revoke_if_reused(self, kind: str, digest: str) -> None:
        used = await self.store.get(kind, digest)
        if used is not None:
            logger.warning("a used OAuth %s came back: grant %s revoked", kind, used["grant"])
            await self.store.discard("grant", used["grant"])

    # ---- access tokens ----------------------------------------------------------------------

    async def _access_record(self, token: str) -> tuple[Record, Record] | None:
        if not token.startswith(ACCESS_TOKEN_PREFIX):
            return None
        record = await self.store.get("access", token_digest(token))
        if record is None or record["expires_at"] <= self._clock():
            return None
        grant = await self.store.get("grant", record["grant"])
        return None if grant is None else (record, grant)

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = await self._access_record(token)
        if found is None:
            return None
        record, _ = found
        return AccessToken(
            token=token,
            client_id=record["client_id"],
            scopes=record["scopes"],
            expires_at=int(record["expires_at"]),
            resource=record["resource"],
            subject=record["grant"],
        )

    def claims(self, token: str) -> bool:
        return token.startswith(ACCESS_TOKEN_PREFIX)

    async def verify(self, token: str) -> VerifiedBearer | None:
        found = await self._access_record(token)
        if found is None:
            return None
        record, grant = found
        try:
            key = self._sealer.open(grant["key"], context=record["grant"])
        except SealError:
            logger.warning(
                "OAuth grant %s: its key does not open (secret rotated?)", record["grant"]
            )
            return None
        return VerifiedBearer(
            upstream_key=key,
            scopes=tuple(record["scopes"]),
            resource=record["resource"],
            subject=record["grant"],
            expires_at=record["expires_at"],
        )

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "only authorization codes with PKCE")

    # ---- revocation -------------------------------------------------------------------------

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        grant_id = token.subject
        if grant_id is not None:
            await self.store.discard("grant", grant_id)
            logger.info("OAuth grant %s revoked", grant_id)
        kind = "access" if isinstance(token, AccessToken) else "refresh"
        await self.store.discard(kind, token_digest(token.token))


def _consent(request_id: str, record: Record) -> ConsentRequest:
    return ConsentRequest(
        id=request_id,
        client_id=record["client_id"],
        client_name=record["client_name"],
        redirect_uri=record["redirect_uri"],
        state=record["state"],
        scopes=tuple(record["scopes"]),
        csrf=record["csrf"],
        failures=int(record.get("failures", 0)),
    )
