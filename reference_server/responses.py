"""JSON bodies that can always be encoded.

A batch echoes erroneous input "as sent", and JSON input may carry lone surrogates
(`"\\ud800"`) that have no UTF-8 encoding. Starlette's JSONResponse would raise on them (a 500
for a client mistake); here such a body falls back to ASCII escapes, which is still valid JSON
and still says exactly what was sent.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["ApiJSONResponse", "success"]


class ApiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def success(data: Any, status: int = 200, message: str | None = None) -> ApiJSONResponse:
    """The success envelope: `{"error": null, "data": ..., "message"?: ...}`."""
    body: dict[str, Any] = {"error": None, "data": data}
    if message is not None:
        body["message"] = message
    return ApiJSONResponse(body, status_code=status)
