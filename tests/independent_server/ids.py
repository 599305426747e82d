"""Entry ids: `dnc_` followed by alphanumerics, in one of two styles."""

from __future__ import annotations

import secrets
import string

__all__ = ["new_id"]

_BASE36 = string.ascii_lowercase + string.digits
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(style: str, wall_ns: int, length: int = 0) -> str:
    """`base36`: `length` (default 16) random lower-case alphanumerics; `ulid`: a 26-character
    ULID (time + random)."""
    if style == "base36":
        return "dnc_" + "".join(secrets.choice(_BASE36) for _ in range(length or 16))
    value = ((wall_ns // 1_000_000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "dnc_" + "".join(reversed(chars))
