"""Connection URLs as logs and messages may show them: without the password."""

from __future__ import annotations

__all__ = ["redact_url"]


def redact_url(url: str) -> str:
    """A URL without the password of its user-info part (`user:***@host`)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    credentials, at, location = authority.rpartition("@")
    if not sep or not at:
        return url
    user = credentials.split(":", 1)[0]
    shown = f"{user}:***" if ":" in credentials else user
    return f"{scheme}://{shown}@{location}{slash}{path}"
