"""The client's own reading of a LinkedIn URL, for matching inputs against a list snapshot.

The server's normalization is the truth; the client may only predict it where the API
documentation fixes the answer (the `source: documented` cases of fixtures/normalization.json):
lowercase, `https://` optional, `www.` optional, host `linkedin.com`, path `/in/<username>` with
one optional trailing slash, or the bare `in/<username>`. Every other spelling (country or
mobile hosts, `http://`, query strings, sub-pages, percent escapes, Unicode, surrounding
spaces...) is a choice each deployment makes for itself, so `documented_key` answers None:
"not certain", and the caller asks the API instead of guessing. A guess that differed from the
server's could report a listed person as not listed.

Usernames are restricted to ASCII letters, digits and hyphens, 3-100 characters, which every
documented example satisfies; member ids (`ACoAA...`, case-sensitive on some servers) and
anything else are left to the server. This module never imports the reference server's
normalizer: the client is that server's peer, not its copy.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CANONICAL_PREFIX", "documented_key", "is_blank"]

CANONICAL_PREFIX: Final = "https://linkedin.com/in/"

# Applied to the lowercased input (documented step 1); ASCII only, so no Unicode case folding
# can turn a look-alike host (U+212A KELVIN SIGN, dotless i) into `linkedin.com`.
_DOCUMENTED_FORM: Final = re.compile(
    r"(?:(?:https://)?(?:www\.)?linkedin\.com/)?in/([a-z0-9-]{3,100})/?", re.ASCII
)
# Member-id URLs keep their case on some servers and are rejected by others: never predicted.
_MEMBER_ID_PREFIXES: Final = ("acoaa", "acwaa")


def documented_key(url: str) -> str | None:
    """`https://linkedin.com/in/<username>` when the documentation fixes it, else None."""
    if not url.isascii():
        return None
    match = _DOCUMENTED_FORM.fullmatch(url.lower())
    if match is None:
        return None
    username = match.group(1)
    if username.startswith(_MEMBER_ID_PREFIXES):
        return None
    return CANONICAL_PREFIX + username


def is_blank(url: str) -> bool:
    """An empty or whitespace-only value: the API documents 400 "LinkedIn URL is required"."""
    return not url.strip()
