"""API-key authentication. Only SHA-256 digests of keys are kept; comparison is constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from reference_server.errors import Unauthorized

__all__ = ["Authenticator", "Principal", "key_fingerprint"]


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def key_fingerprint(key: str) -> str:
    """First 12 hex digits of the key's SHA-256: names a key in logs and audit, reveals nothing."""
    return _digest(key).hex()[:12]


@dataclass(frozen=True, slots=True)
class Principal:
    team_id: str
    key_fingerprint: str


class Authenticator:
    def __init__(self, api_keys: Mapping[str, str]) -> None:
        self._keys: list[tuple[bytes, Principal]] = [
            (_digest(key), Principal(team, key_fingerprint(key))) for key, team in api_keys.items()
        ]

    def authenticate(self, authorization: str | None) -> Principal:
        """Resolve `Authorization: Bearer <key>` or raise Unauthorized."""
        if authorization is None:
            raise Unauthorized()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized()
        presented = _digest(token)
        found: Principal | None = None
        # Visit every key whatever matches, so timing does not depend on which key (if any) hit.
        for digest, principal in self._keys:
            if hmac.compare_digest(digest, presented):
                found = principal
        if found is None:
            raise Unauthorized()
        return found
