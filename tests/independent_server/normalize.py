"""LinkedIn profile URL normalization: raw string in, `https://linkedin.com/in/<slug>` or None out.

The five documented steps (lowercase, add https://, strip www., trim the trailing slash, extract
the username from `https://linkedin.com/in/x`, `https://www.linkedin.com/in/x/`,
`linkedin.com/in/x`, `in/x`) hold in every variant. Everything else (mobile hosts, sub-pages,
Unicode, ports...) follows the variant's own choices. A result is always a fixed point: it is
re-normalized once and rejected if that changes it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote_to_bytes

from .variants import Variant

__all__ = ["is_blank", "normalize_url"]

_ASCII_TRIM = " \t\r\n"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", re.DOTALL)
_PORT_AFTER_COLON = re.compile(r"[0-9]+(?:[/?#]|$)")
_HOST = re.compile(r"[a-z0-9.\-]+")
_LABEL = re.compile(r"[a-z]{2}")
_ESCAPE_OK = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*", re.DOTALL)
_MEMBER_ID_PREFIXES = ("ACoAA", "ACwAA")
_SLUG_EXTRA = frozenset("-_.")


def is_blank(value: str, variant: Variant) -> bool:
    """True when the value is empty once trimmed the variant's way."""
    return _trim(value, variant) == ""


def normalize_url(value: str, variant: Variant) -> str | None:
    """The canonical URL, or None when the value is not a LinkedIn profile URL."""
    first = _normalize_once(value, variant)
    if first is None or _normalize_once(first, variant) != first:
        return None
    return first


def _trim(value: str, variant: Variant) -> str:
    return value.strip() if variant.trim_unicode_whitespace else value.strip(_ASCII_TRIM)


def _normalize_once(value: str, variant: Variant) -> str | None:
    text = _trim(value, variant)
    if not text or len(text) > variant.url_max_length:
        return None
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in text):
        return None
    split = _split_scheme(text, variant)
    if split is None:
        return None
    scheme, rest = split
    if scheme is None and rest.lower().startswith(("in/", "/in/")):
        host_ok, tail = True, "/" + rest.lstrip("/")
    else:
        authority, tail = _split_authority(rest)
        host_ok = _host_ok(authority, scheme or "https", variant)
    if not host_ok:
        return None
    slug = _slug_from_path(_strip_query(tail), variant)
    if slug is None:
        return None
    return "https://linkedin.com/in/" + slug


def _split_scheme(text: str, variant: Variant) -> tuple[str | None, str] | None:
    """(scheme or None, the rest after `scheme://`), or None for a scheme that is not accepted."""
    if text.startswith("//"):
        return ("https", text[2:]) if variant.accept_scheme_relative else None
    match = _SCHEME.fullmatch(text)
    if match is None:
        return None, text
    scheme, after = match.group(1).lower(), match.group(2)
    if scheme in ("http", "https"):
        return (scheme, after[2:]) if after.startswith("//") else None
    if _PORT_AFTER_COLON.match(after):
        return None, text  # `linkedin.com:443/in/x`: a host and a port, not a scheme
    return None


def _split_authority(rest: str) -> tuple[str, str]:
    cut = len(rest)
    for sep in "/?#":
        pos = rest.find(sep)
        if pos != -1:
            cut = min(cut, pos)
    return rest[:cut], rest[cut:]


def _host_ok(authority: str, scheme: str, variant: Variant) -> bool:
    if "@" in authority or "[" in authority or not authority.isascii():
        return False
    host, colon, port = authority.partition(":")
    if colon:
        default = "443" if scheme == "https" else "80"
        if not (variant.allow_default_port and port.isdigit() and port.lstrip("0") == default):
            return False
    host = host.lower()
    if variant.strip_host_trailing_dot and host.endswith("."):
        host = host[:-1]
    if not _HOST.fullmatch(host):
        return False
    if host == "linkedin.com":
        return True
    label, dot, base = host.partition(".")
    if not dot or base != "linkedin.com":
        return False
    if label == "www" or _LABEL.fullmatch(label):
        return True
    return variant.accept_mobile and label in ("m", "touch")


def _strip_query(tail: str) -> str:
    for sep in "?#":
        pos = tail.find(sep)
        if pos != -1:
            tail = tail[:pos]
    return tail


def _slug_from_path(path: str, variant: Variant) -> str | None:
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    if any(_is_dot_segment(seg) for seg in segments):
        return None
    if len(segments) >= 2 and segments[0].lower() in ("m", "mwlite") and variant.accept_mobile:
        segments = segments[1:]
    if len(segments) < 2 or segments[0].lower() != "in" or not segments[1]:
        return None
    extra = segments[2:]
    if not variant.accept_trailing_segments and any(extra):
        return None
    return _canonical_slug(segments[1], variant)


def _is_dot_segment(segment: str) -> bool:
    decoded = _percent_decode(segment)
    return segment in (".", "..") or decoded in (".", "..")


def _percent_decode(segment: str) -> str | None:
    if not _ESCAPE_OK.fullmatch(segment):
        return None
    try:
        return unquote_to_bytes(segment.encode("utf-8")).decode("utf-8")
    except UnicodeError:
        return None


def _canonical_slug(raw: str, variant: Variant) -> str | None:
    decoded = _percent_decode(raw)
    if decoded is None or decoded.startswith(_MEMBER_ID_PREFIXES):
        return None
    slug = unicodedata.normalize(variant.unicode_form, decoded)
    slug = slug.casefold() if variant.casefold else slug.lower()
    slug = unicodedata.normalize(variant.unicode_form, slug)
    if not variant.slug_min <= len(slug) <= variant.slug_max or slug in ("me", ".", ".."):
        return None
    if not all(ch.isalnum() or ch in _SLUG_EXTRA for ch in slug):
        return None
    if variant.percent_encode_output:
        return quote(slug, safe="-_.")
    return slug
