"""One name for an API key or token in logs, audit lines, pacing and sessions.

A fingerprint is a keyed hash (HMAC-SHA256), so a log reader cannot test guesses of a weak key
against it. The key comes from DNC_FINGERPRINT_KEY (replicas that must agree on names share
one); without it the data folder keeps one of its own (mode 0600), so one install names a key
the same way across restarts and across its commands (`dnc serve`, `dnc mcp`, the CLI).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Final

from dnc_kit.private_files import read_or_create_secret
from dnc_kit.settings import read_environment

__all__ = [
    "FINGERPRINT_KEY_FILE",
    "FINGERPRINT_PREFIX",
    "KeyFingerprinter",
    "key_fingerprint",
    "use_fingerprinter",
]

FINGERPRINT_PREFIX: Final = "fp_"
FINGERPRINT_KEY_FILE: Final = "fingerprint-key"
MIN_SECRET_BYTES: Final = 16
_HEX_DIGITS: Final = 16  # 64 bits: no two keys of a deployment share a name by chance


class KeyFingerprinter:
    """Names keys under one secret: the same key, the same name."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a fingerprint key needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def __call__(self, key: str) -> str:
        mac = hmac.new(self._secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return FINGERPRINT_PREFIX + mac.hexdigest()[:_HEX_DIGITS]

    def __repr__(self) -> str:  # never the secret
        return "KeyFingerprinter(<secret>)"


_lock = threading.Lock()
_current: KeyFingerprinter | None = None


def _from_environment() -> KeyFingerprinter:
    env = read_environment()
    if env.fingerprint_key:
        return KeyFingerprinter(env.fingerprint_key.encode())
    return KeyFingerprinter(read_or_create_secret(env.data_dir / FINGERPRINT_KEY_FILE))


def key_fingerprint(key: str) -> str:
    """The process's name for `key` (configured from the environment on first use)."""
    global _current
    fingerprinter = _current
    if fingerprinter is None:
        with _lock:
            if _current is None:
                _current = _from_environment()
            fingerprinter = _current
    return fingerprinter(key)


def use_fingerprinter(fingerprinter: KeyFingerprinter | None) -> None:
    """Set the process's fingerprinter (None: read the environment again on next use)."""
    global _current
    with _lock:
        _current = fingerprinter
