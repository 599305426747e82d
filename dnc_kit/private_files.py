"""Files that hold secrets or people's data: created 0600 inside a folder that is 0700.

The local list's database, its key, the audit logs and the fingerprint key live in the user's
data folder. Other accounts on the machine must read none of them, whatever the umask.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Final

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "append_private",
    "private_dir",
    "read_or_create_secret",
    "touch_private",
]

PRIVATE_DIR_MODE: Final = 0o700
PRIVATE_FILE_MODE: Final = 0o600
_SECRET_BYTES: Final = 32


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing; a folder this creates is 0700.

    A folder that already exists keeps its mode: the user may have shared it on purpose.
    """
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def touch_private(path: Path) -> Path:
    """Make sure `path` exists as a 0600 file before another library opens it."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    os.close(descriptor)
    return path


def append_private(path: Path, text: str) -> None:
    """Append `text` to a log file that is created 0600 (audit lines name people and teams)."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(text)


def read_or_create_secret(path: Path) -> bytes:
    """The random secret stored at `path`, written (0600, never replaced) on first use."""
    try:
        existing = path.read_bytes().strip()
    except FileNotFoundError:
        existing = b""
    if existing:
        return existing
    private_dir(path.parent)
    secret = secrets.token_hex(_SECRET_BYTES).encode()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret + b"\n")
    return secret
