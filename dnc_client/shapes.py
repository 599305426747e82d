"""Spelling shapes: how the client learns a deployment's answer for spellings it cannot predict.

The documented forms (`dnc_client.normalize`) are matched against a list snapshot directly.
Every other spelling people have in their exports (`http://`, `?utm_...`/`?trk=` share links,
`uk.`/`de.` country hosts, `m.` mobile hosts, `/details/experience/` sub-pages, surrounding
spaces, and their combinations) is normalized by each deployment its own way, and the client
cannot know how. So it asks, once per *shape* rather than once per URL:

- a spelling's shape is the input with its username taken out: scheme, the host's first label,
  the path after the username, the query's parameter names, a fragment, the padding (query
  and fragment values do not make a shape of their own, so share links with per-person
  tracking values share one shape);
- `spell(shape_of(u), username)` respells any listed username in that shape;
- `dnc_client.bulk` checks a few listed URLs of each shape through the API; a shape is
  confirmed only when every probe answers `onList: true` with the very entry (`$id`) the
  snapshot holds for that username. Then every URL of that shape is matched locally, like a
  documented form. A shape not confirmed (any other answer, an error, no listed URL to probe
  with) is checked through the API one URL at a time: "cannot tell" is never "not listed".

Only ASCII input is parsed, after the documented lowercasing; usernames are 3-100 letters,
digits and hyphens, and member ids (`ACoAA...`) are left to the server, as in `normalize`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from dnc_client.normalize import CANONICAL_PREFIX, documented_key

__all__ = ["Spelling", "spell", "spelling_of", "username_of"]

_PADDING: Final = " \t\r\n\f\v"
_SHAPED: Final = re.compile(
    r"(?P<head>(?:(?P<scheme>https?://)?(?P<label>[a-z0-9-]{1,20}\.)?linkedin\.com/)?in/)"
    r"(?P<user>[a-z0-9-]{3,100})"
    r"(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?P<fragment>#.*)?",
    re.ASCII,
)
_MEMBER_ID_PREFIXES: Final = ("acoaa", "acwaa")


@dataclass(frozen=True)
class Spelling:
    """One input in an undocumented spelling: its canonical key and its shape."""

    key: str  # https://linkedin.com/in/<username>, as a documented form would be keyed
    shape: str  # the same for every URL spelled this way
    prefix: str  # the input (lowercased) before the username
    suffix: str  # the input (lowercased) after the username


def spelling_of(url: str) -> Spelling | None:
    """The shape of an undocumented spelling; None for a documented form or the unparsable."""
    if not url.isascii() or documented_key(url) is not None:
        return None
    body = url.strip(_PADDING)
    if not body:
        return None
    lead, trail = url[: url.index(body)], url[url.index(body) + len(body) :]
    match = _SHAPED.fullmatch(body.lower())
    if match is None:
        return None
    user = match["user"]
    if user.startswith(_MEMBER_ID_PREFIXES):
        return None
    names = [part.split("=", 1)[0] for part in (match["query"] or "").split("&") if part]
    shape = "|".join(
        [
            repr(lead),
            match["head"],
            match["path"] or "",
            "?" + "&".join(names) if match["query"] is not None else "",
            "#" if match["fragment"] is not None else "",
            repr(trail),
        ]
    )
    start, end = match.span("user")
    lowered = body.lower()
    return Spelling(
        key=CANONICAL_PREFIX + user,
        shape=shape,
        prefix=lead + lowered[:start],
        suffix=lowered[end:] + trail,
    )


def spell(spelling: Spelling, username: str) -> str:
    """`username` written the way `spelling` was."""
    return spelling.prefix + username + spelling.suffix


def username_of(key: str) -> str | None:
    """The username of a canonical key (`https://linkedin.com/in/<username>`), else None."""
    if not key.startswith(CANONICAL_PREFIX):
        return None
    username = key[len(CANONICAL_PREFIX) :]
    return username if documented_key(key) == key else None
