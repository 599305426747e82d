"""The approval page's defences, as pure functions over request headers.

A deletion needs a POST of the page's own form: the per-page secret (in the page, never in a
tool result), a Host this server answers to (DNS rebinding: a hostile page that rebinds its
name to 127.0.0.1 still sends its own Host), and no foreign Origin. A browser always sends
Origin on a cross-origin POST (a form on any other site, or `null` from a sandboxed frame or a
`data:` URL): those are refused, and so is `Sec-Fetch-Site: cross-site`. A request without
Origin is not a browser's cross-site request; the secret and the Host decide it (a program can
set any Origin anyway). `Referrer-Policy: same-origin` keeps our own form's Origin the real one.

What this cannot tell apart: a person at a browser, and a program on the same machine that
fetches the page and replays its form with a forged Origin. An agent that has its own HTTP or
browser tool must not be allowed to reach the approval address.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

__all__ = [
    "FORM_CONTENT_TYPE",
    "MAX_FORM_BYTES",
    "SECURITY_HEADERS",
    "Refusal",
    "check_get",
    "check_post",
    "cross_site",
    "host_allowed",
    "origin_allowed",
    "origin_of",
    "secrets_match",
]

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
MAX_FORM_BYTES: Final = 4096
SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as an HTTP status and a sentence for the human."""

    status: int
    reason: str


def _matches(value: str, patterns: Iterable[str]) -> bool:
    """Exact match, or `base:*` for any port of `base` (the SDK's allow-list syntax)."""
    for pattern in patterns:
        if value == pattern:
            return True
        if pattern.endswith(":*"):
            base = pattern[:-2]
            port = value[len(base) + 1 :] if value.startswith(base + ":") else ""
            if port.isdigit():
                return True
    return False


def host_allowed(host: str | None, allowed_hosts: Iterable[str]) -> bool:
    return bool(host) and _matches(str(host).lower(), allowed_hosts)


def origin_allowed(origin: str | None, allowed_origins: Iterable[str]) -> bool:
    """A present, non-null Origin on the allow-list."""
    return bool(origin) and origin != "null" and _matches(str(origin).lower(), allowed_origins)


def cross_site(headers: Mapping[str, str], allowed_origins: Iterable[str]) -> bool:
    """Whether a browser says this request comes from another site (Origin, Sec-Fetch-Site)."""
    origin = headers.get("origin")
    if origin is not None and not origin_allowed(origin, allowed_origins):
        return True
    return headers.get("sec-fetch-site", "").lower() == "cross-site"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, as browsers send it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_get(headers: Mapping[str, str], allowed_hosts: Iterable[str]) -> Refusal | None:
    if not host_allowed(headers.get("host"), allowed_hosts):
        return Refusal(421, "This server does not answer to that host name.")
    return None


def check_post(
    headers: Mapping[str, str],
    *,
    allowed_hosts: Iterable[str],
    allowed_origins: Iterable[str],
) -> Refusal | None:
    """Host, Origin and form encoding of an approval POST; None when they are all right."""
    refused = check_get(headers, allowed_hosts)
    if refused is not None:
        return refused
    if cross_site(headers, allowed_origins):
        return Refusal(403, "Only this approval page's own form can approve or decline.")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        return Refusal(415, "Send the approval page's form.")
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        return Refusal(413, "That form is too large.")
    return None


def secrets_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the page secret."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
