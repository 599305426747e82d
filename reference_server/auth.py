"""API-key authentication: an O(1) lookup by the key's SHA-256 digest.

Keys come from `DNC_API_KEYS` (a dict in memory) and, when the storage keeps keys
(`dnc keys create`), from the database through an indexed digest column.

Why a lookup by digest leaks nothing useful: keys are high-entropy random tokens, and only
their digests are ever compared or stored. A hash map or index lookup may take a little
longer or shorter depending on the digest, so timing could at most reveal whether some
presented digest exists, or how close it lands in the table to a stored one. That says
nothing about any key: SHA-256 is preimage resistant and the attacker chose the digest's
preimage, so learning anything about a stored digest does not help to find a key that
hashes to it. (Comparing every configured key on every request, as before, cost O(keys) per
request and bought no security.)

Stored keys are trusted for `key_cache_ttl_s` after a lookup, so a `dnc keys revoke` takes
effect on every instance within that many seconds; unknown digests are remembered as briefly,
so a flood of wrong keys costs no database round trip per request.

A principal carries its key's scopes (reference_server.scopes): configured keys hold all three,
a stored key those it was created with. `Principal.require` refuses an operation beyond them
with 403 `insufficient_scope`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dnc_kit.fingerprints import key_fingerprint
from reference_server.errors import InsufficientScope, Unauthorized
from reference_server.scopes import ALL_SCOPES
from reference_server.storage import KeyStore

__all__ = ["Authenticator", "Principal", "key_digest", "key_fingerprint"]

MAX_REMEMBERED = 100_000


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class Principal:
    team_id: str
    key_fingerprint: str
    scopes: frozenset[str] = ALL_SCOPES

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise InsufficientScope(scope)


class Authenticator:
    def __init__(
        self,
        api_keys: Mapping[str, str],
        store: KeyStore | None = None,
        *,
        ttl_s: float = 2.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._static: dict[bytes, Principal] = {
            key_digest(key): Principal(team, key_fingerprint(key)) for key, team in api_keys.items()
        }
        self._store = store
        self._ttl = ttl_s
        self._clock = clock or time.monotonic
        # digest -> (trusted until, principal or None for "no such active key")
        self._remembered: dict[bytes, tuple[float, Principal | None]] = {}

    async def authenticate(self, authorization: str | None) -> Principal:
        """Resolve `Authorization: Bearer <key>` or raise Unauthorized (ServiceUnavailable
        when the key can only be checked against an unreachable database)."""
        if authorization is None:
            raise Unauthorized()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized()
        digest = key_digest(token)
        found = self._static.get(digest)
        if found is None and self._store is not None:
            found = await self._stored(digest)
        if found is None:
            raise Unauthorized()
        return found

    async def _stored(self, digest: bytes) -> Principal | None:
        assert self._store is not None
        now = self._clock()
        remembered = self._remembered.get(digest)
        if remembered is not None and now < remembered[0]:
            return remembered[1]
        stored = await self._store.find_key(digest)
        principal = None
        if stored is not None:
            # Unknown words in the column (a newer dnc-kit's scope) grant nothing.
            scopes = frozenset(stored.scopes.split()) & ALL_SCOPES
            principal = Principal(stored.team_id, stored.fingerprint, scopes)
        if self._ttl > 0:
            if len(self._remembered) >= MAX_REMEMBERED:
                self._remembered.clear()  # rare; a cold cache is only a few lookups
            self._remembered[digest] = (now + self._ttl, principal)
        return principal
