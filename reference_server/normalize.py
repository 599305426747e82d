"""The canonical LinkedIn profile URL normalizer (rules R1–R10 of fixtures/README.md).

One function, `normalize_linkedin_url`, maps every accepted spelling of a profile URL to
`https://linkedin.com/in/<slug>` and answers `None` for anything it cannot map with certainty.
For a Do-Not-Contact list "cannot tell" must never read as "not on the list", so nothing is
guessed: an input breaking any rule is rejected.

The parser is written by hand rather than on `urllib.parse` because urlsplit is lenient in ways
that matter here (it accepts `https:linkedin.com`, strips some control characters, and decodes
nothing), and the rules need exact control over each step.
"""

from __future__ import annotations

import re
import unicodedata

from dnc_kit.contract import URL_MAX_LENGTH

__all__ = ["MAX_URL_LENGTH", "normalize_linkedin_url"]

MAX_URL_LENGTH = URL_MAX_LENGTH  # the spec's LinkedInProfileUrl.maxLength
CANONICAL_PREFIX = "https://linkedin.com/in/"

_TRIM = " \t\r\n"
_DEFAULT_PORT = {"https": "443", "http": "80"}
_NAMED_SUBDOMAINS = frozenset({"www", "m", "touch"})
_MOBILE_WRAPPERS = frozenset({"mwlite", "m"})
_FORBIDDEN_IN_SLUG = frozenset("%/\\?#")
_MEMBER_ID_PREFIXES = ("ACoAA", "ACwAA")
_HEX = frozenset("0123456789abcdefABCDEF")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_SLUG_MIN, _SLUG_MAX = 3, 100


# `\s` on str patterns is exactly str.isspace(); the ranges are C0, DEL and C1 controls.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# R8. On str patterns `\w` is exactly str.isalnum() plus "_" (verified over every code point).
_SLUG_CHARS = re.compile(r"[\w.\-]+")


def _has_space_or_control(text: str) -> bool:
    return _SPACE_OR_CONTROL.search(text) is not None


def _split_scheme(text: str) -> tuple[str, str, bool]:
    """Return (scheme, rest, has_authority); other schemes are rejected later, by the host."""
    lowered = text.lower()
    if lowered.startswith("https://"):
        return "https", text[8:], True
    if lowered.startswith("http://"):
        return "http", text[7:], True
    if lowered.startswith("//"):
        return "https", text[2:], True
    if lowered.startswith(("in/", "/in/")):
        # R3: a bare path is a path on linkedin.com, never a host named "in".
        return "https", text if text.startswith("/") else "/" + text, False
    # Anything else is read as host[:port]/path. Other schemes (`ftp://`, `javascript:`,
    # `https:linkedin.com`) fall out naturally: their "host" fails the host rules below.
    return "https", text, True


def _valid_authority(authority: str, scheme: str) -> bool:
    if "@" in authority or "[" in authority or "]" in authority:
        return False  # userinfo, IPv6 literals
    host, sep, port = authority.partition(":")
    if sep and port != _DEFAULT_PORT[scheme]:
        return False
    if not host.isascii():
        return False
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if host == "linkedin.com":
        return True
    label, dot, rest = host.partition(".")
    if not dot or rest != "linkedin.com":
        return False
    return label in _NAMED_SUBDOMAINS or (len(label) == 2 and set(label) <= _ASCII_LETTERS)


def _is_dot_segment(segment: str) -> bool:
    return segment.lower().replace("%2e", ".") in {".", ".."}


def _extract_slug(path: str) -> str | None:
    """R5: the raw (still percent-encoded) slug of an accepted profile path."""
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    if any(_is_dot_segment(segment) for segment in segments):
        return None
    if len(segments) >= 2 and segments[0].lower() == "in":
        return segments[1]
    if (
        len(segments) >= 3
        and segments[0].lower() in _MOBILE_WRAPPERS
        and segments[1].lower() == "in"
    ):
        return segments[2]
    return None


def _percent_decode_once(raw: str) -> str | None:
    """Decode %XX escapes once as UTF-8; None for a malformed escape or invalid UTF-8."""
    if "%" not in raw and raw.isascii():
        return raw
    out = bytearray()
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "%":
            pair = raw[i + 1 : i + 3]
            if len(pair) != 2 or not set(pair) <= _HEX:
                return None
            out.append(int(pair, 16))
            i += 3
        else:
            out += ch.encode("utf-8", "surrogatepass")
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _canonical_slug(raw_slug: str) -> str | None:
    """R7–R9 applied to the slug segment exactly as it appeared in the path."""
    decoded = _percent_decode_once(raw_slug)
    if not decoded or decoded in {".", ".."}:
        return None
    if any(ch in _FORBIDDEN_IN_SLUG for ch in decoded) or _has_space_or_control(decoded):
        return None
    # Member ids are opaque and case-sensitive; checked before lowercasing so `acoaa…` stays
    # an ordinary vanity slug.
    if decoded.startswith(_MEMBER_ID_PREFIXES):
        return None
    slug = unicodedata.normalize("NFC", decoded).lower()
    if slug == "me":
        return None
    if not _SLUG_MIN <= len(slug) <= _SLUG_MAX:
        return None
    if not _SLUG_CHARS.fullmatch(slug):
        return None
    return slug


def normalize_linkedin_url(raw: str) -> str | None:
    """Return `https://linkedin.com/in/<slug>` for a LinkedIn profile URL, else None.

    Never raises for any `str`; non-strings answer None as well, so callers may pass
    untrusted JSON values straight through.
    """
    if not isinstance(raw, str) or len(raw) > MAX_URL_LENGTH:
        return None
    text = raw.strip(_TRIM)
    if not text or _has_space_or_control(text):
        return None
    scheme, rest, has_authority = _split_scheme(text)
    if has_authority:
        end = len(rest)
        for delimiter in "/?#":
            found = rest.find(delimiter)
            if found != -1:
                end = min(end, found)
        authority, rest = rest[:end], rest[end:]
        if not _valid_authority(authority, scheme):
            return None
    # R6: query and fragment are dropped; a `/in/` inside them is not a path.
    path = rest
    for delimiter in "?#":
        path = path.partition(delimiter)[0]
    raw_slug = _extract_slug(path)
    if raw_slug is None:
        return None
    slug = _canonical_slug(raw_slug)
    return None if slug is None else CANONICAL_PREFIX + slug
