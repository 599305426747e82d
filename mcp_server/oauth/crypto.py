"""The team key at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the server secret.

A sealed value is `v1.<key id>.<nonce+ciphertext, base64url>`; the key id (the first bytes of
a digest of the derived key) names the secret that sealed it, so a value sealed under a
secret of the grace list (`DNC_MCP_OAUTH_SECRET_PREVIOUS`) still opens after a rotation,
while new values are always sealed under the current secret. The grant id is the associated
data: a sealed key copied onto another grant does not open.

Tokens are stored by their SHA-256 digest only: they are 256 random bits, so a digest cannot be
walked back to the token, and lookups survive a secret rotation.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["MIN_SECRET_BYTES", "KeySealer", "SealError", "new_token", "token_digest"]

MIN_SECRET_BYTES: Final = 32
_INFO: Final = b"dnc-mcp/oauth/team-key/v1"
_SALT: Final = b"dnc-mcp/oauth"
_NONCE_BYTES: Final = 12
_VERSION: Final = "v1"


class SealError(Exception):
    """A sealed value that no known secret opens (tampered, or sealed under a retired secret)."""


def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret.encode("utf-8")
    )


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"key-id|" + key).hexdigest()[:8]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeySealer:
    """Seals with the current secret; opens with it or any secret of the grace list."""

    def __init__(self, secret: str, previous: Sequence[str] = ()) -> None:
        for value in (secret, *previous):
            if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
                raise ValueError(f"an OAuth server secret needs at least {MIN_SECRET_BYTES} bytes")
        current = _derive(secret)
        self._current_id = _key_id(current)
        self._keys = {self._current_id: AESGCM(current)}
        for value in previous:
            derived = _derive(value)
            self._keys.setdefault(_key_id(derived), AESGCM(derived))

    def __repr__(self) -> str:  # never the keys
        return f"KeySealer(current={self._current_id}, known={len(self._keys)})"

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._keys[self._current_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        return f"{_VERSION}.{self._current_id}.{_b64(nonce + sealed)}"

    def open(self, sealed: str, *, context: str) -> str:
        parts = sealed.split(".")
        if len(parts) != 3 or parts[0] != _VERSION or parts[1] not in self._keys:
            raise SealError("sealed under an unknown secret")
        try:
            raw = _unb64(parts[2])
            plain = self._keys[parts[1]].decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except (InvalidTag, ValueError) as error:
            raise SealError("tampered or sealed for another grant") from error
        return plain.decode("utf-8")

    def needs_reseal(self, sealed: str) -> bool:
        """Whether `sealed` was made under a secret of the grace list (re-seal it)."""
        return sealed.split(".")[1:2] != [self._current_id]


def new_token(prefix: str) -> str:
    """An opaque bearer of 256 random bits; the prefix says what it is (never a key)."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
