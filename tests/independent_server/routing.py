"""Which operation a method and path name: the route table of the five operations under /v1."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["RouteMatch", "match_route", "path_segments"]

# path (segments after the leading "/") -> method -> operation name; "*" is the entry id
_ROUTES: dict[tuple[str, ...], dict[str, str]] = {
    ("v1", "dnc"): {"GET": "list", "POST": "add"},
    ("v1", "dnc", "check"): {"GET": "check"},
    ("v1", "dnc", "batch"): {"POST": "batch"},
    ("v1", "dnc", "*"): {"DELETE": "delete"},
}


@dataclass(frozen=True)
class RouteMatch:
    operation: str | None
    """None: no operation for this method and path (see `allowed`)."""
    allowed: tuple[str, ...]
    """Methods the path accepts; empty when the path is unknown."""
    entry_id: str = ""


def path_segments(raw_path: bytes, *, tolerate_trailing_slash: bool) -> list[str]:
    """The path split on `/` first, then each segment percent-decoded (so `%2F` stays inside)."""
    parts = raw_path.split(b"?", 1)[0].split(b"/")[1:]
    if tolerate_trailing_slash and len(parts) > 1 and parts[-1] == b"":
        parts = parts[:-1]
    return [unquote_to_bytes(p).decode("utf-8", errors="replace") for p in parts]


def match_route(method: str, segments: list[str]) -> RouteMatch:
    candidates: list[tuple[dict[str, str], str]] = []
    exact = _ROUTES.get(tuple(segments))
    if exact is not None:
        candidates.append((exact, ""))
    if len(segments) == 3 and segments[:2] == ["v1", "dnc"]:
        candidates.append((_ROUTES[("v1", "dnc", "*")], segments[2]))
    for methods, entry_id in candidates:
        if method in methods:
            return RouteMatch(methods[method], (), entry_id)
    allowed = sorted({m for methods, _ in candidates for m in methods})
    return RouteMatch(None, tuple(allowed))
