"""Reading what a client sent: the API key, a size-limited JSON body, query parameters."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request

from .responses import ApiError
from .variants import Variant

__all__ = ["api_key", "query_values", "read_json_object"]

_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([!-~]+) *")
_DRAIN_CAP = 64 * 1024 * 1024
_JSON_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)


def api_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` (scheme in any case); None when malformed."""
    values = request.headers.getlist("authorization")
    if len(values) != 1:
        return None
    match = _BEARER.fullmatch(values[0])
    return match.group(1) if match else None


def query_values(request: Request, name: str) -> list[str]:
    """Every value of one query parameter, percent-decoded as UTF-8 (bad bytes become U+FFFD)."""
    found: list[str] = []
    for part in request.scope.get("query_string", b"").split(b"&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition(b"=")
        if _decode(raw_key) == name:
            found.append(_decode(raw_value))
    return found


def _decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", errors="replace")


async def read_json_object(request: Request, variant: Variant) -> dict[str, Any]:
    """The body as a JSON object, or ApiError 413/415/400 the variant's way."""
    content_type = request.headers.get("content-type")
    if (
        variant.enforce_json_content_type
        and content_type is not None
        and not _JSON_TYPE.fullmatch(content_type.split(";", 1)[0].strip())
    ):
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    body = await _read_limited(request, variant.body_limit)
    if body is None:
        raise ApiError(
            413,
            variant.body_too_large_code,
            f"Request body exceeds {variant.body_limit} bytes",
        )
    if not body.strip() and variant.empty_body_is_empty_object:
        return {}
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        parsed = None
    if not isinstance(parsed, dict):
        raise ApiError(400, variant.malformed_body_code, "Request body must be a JSON object")
    return parsed


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than `limit` (the rest is drained, up to a cap)."""
    declared = request.headers.get("content-length", "")
    too_long = declared.isdigit() and len(declared) < 20 and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            too_long = True
        if too_long:
            if size > _DRAIN_CAP:
                break
            continue
        chunks.append(chunk)
    return None if too_long else b"".join(chunks)
