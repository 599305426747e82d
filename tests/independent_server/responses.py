"""JSON bodies in the documented envelopes, rendered without ever failing on odd strings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = ["ApiError", "error_response", "render_json", "success_response"]


class ApiError(Exception):
    """An error answer: HTTP status, error code, message, and any extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def render_json(payload: Any) -> bytes:
    """UTF-8 JSON; strings that cannot be UTF-8 (lone surrogates) fall back to `\\u` escapes."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def success_response(
    status: int, data: Any, content_type: str, message: str | None = None
) -> Response:
    payload: dict[str, Any] = {"error": None, "data": data}
    if message is not None:
        payload["message"] = message
    return Response(render_json(payload), status_code=status, media_type=content_type)


def error_response(error: ApiError, content_type: str) -> Response:
    payload: dict[str, Any] = {"error": error.code, "message": error.message, **error.extra}
    return Response(
        render_json(payload),
        status_code=error.status,
        media_type=content_type,
        headers=error.headers,
    )
