"""`GET /v1/dnc/check` on raw ASGI, the hot path.

Starlette's per-request layers (exception middleware, router, route matching, the Request and
its QueryParams, each wrapping `send` again) cost the check a noticeable share of its CPU. The
request boundary hands this one method and path straight to `DirectCheck`, which reads the
key and the `url` parameter from the scope exactly as Starlette would and answers through the
same `handlers.check_response` as the Starlette route, which still serves HEAD (and any
request under a root_path).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, unquote_to_bytes

from starlette.types import Receive, Scope, Send

from reference_server.handlers import check_response
from reference_server.service import DncService

__all__ = ["CHECK_PATH", "DirectCheck", "header_value", "is_direct_check", "query_value"]

CHECK_PATH = "/v1/dnc/check"


def is_direct_check(scope: Scope) -> bool:
    # Under a root_path Starlette matches the path with it stripped (get_route_path): those
    # rare requests keep going its way rather than copying that rule here.
    return scope["path"] == CHECK_PATH and scope["method"] == "GET" and not scope.get("root_path")


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """`Headers(scope=...).get(name)`: the first header of that (lowercase) name, latin-1."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def query_value(query_string: bytes, name: str) -> str | None:
    """`QueryParams(query_string).get(name)` without building the multidict.

    As Starlette's `parse_qsl(..., keep_blank_values=True)`: latin-1, pieces split on `&`,
    name and value split at the first `=` (none: a blank value), `+` is a space, escapes are
    decoded as UTF-8 with replacement, and the last piece of that name wins.
    """
    found: str | None = None
    for piece in query_string.decode("latin-1").split("&"):
        key, _, value = piece.partition("=")
        if "%" in key or "+" in key:
            key = unquote(key.replace("+", " "))
        if key == name:
            found = value
    if found is None:
        return None
    found = found.replace("+", " ")
    if found.isascii():
        # What unquote does with an all-ASCII string, without its regex split.
        return unquote_to_bytes(found).decode("utf-8", "replace")
    return unquote(found)


class DirectCheck:
    """An ASGI app serving only `GET /v1/dnc/check` (see `is_direct_check`)."""

    def __init__(self, service: DncService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await check_response(
            self.service,
            header_value(scope["headers"], b"authorization"),
            query_value(scope["query_string"], "url"),
            scope.setdefault("state", {}),
        )
        await response(scope, receive, send)
