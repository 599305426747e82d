"""stdio mode: the SDK's stdio transport, plus a JSON-RPC error for every line it cannot read.

The SDK's stdio reader turns a line that is not JSON, or not a JSON-RPC message, into an
exception on its read stream, and the server loop drops it with a debug log: the client waits
for an answer that never comes. `RepliesToMalformed` sits on that stream and answers such a
line with the JSON-RPC 2.0 error the specification names (-32700 parse error, -32600 invalid
request), with the request's id when one can be read, else null. The SDK is wrapped, not
patched.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Final, Self

from mcp.server import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

__all__ = ["RepliesToMalformed", "error_reply", "serve_stdio"]

_NOT_JSON: Final = {"json_invalid", "json_type"}


def error_reply(error: Exception) -> JSONRPCError | None:
    """The JSON-RPC error for a line the transport could not read (None: a blank line)."""
    if not isinstance(error, ValidationError):
        return JSONRPCError(
            jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error")
        )
    details = error.errors(include_url=False)
    raw = details[0].get("input") if details else None
    if isinstance(raw, str | bytes) and not raw.strip():
        return None  # an empty line between messages is no message
    if any(detail.get("type") in _NOT_JSON for detail in details):
        return JSONRPCError(
            jsonrpc="2.0",
            id=None,
            error=ErrorData(code=PARSE_ERROR, message="Parse error: the line is not JSON"),
        )
    return JSONRPCError(
        jsonrpc="2.0",
        id=next((i for d in details if (i := _request_id(d.get("input"))) is not None), None),
        error=ErrorData(
            code=INVALID_REQUEST,
            message="Invalid Request: not a JSON-RPC 2.0 request, notification or response",
        ),
    )


def _request_id(raw: object) -> str | int | None:
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if isinstance(raw, dict):
        found = raw.get("id")
        if isinstance(found, str) or (isinstance(found, int) and not isinstance(found, bool)):
            return found
    return None


class RepliesToMalformed:
    """The server's read stream: passes messages on, answers unreadable lines itself."""

    def __init__(self, inner: Any, write: Any) -> None:
        self._inner = inner
        self._write = write

    @property
    def last_context(self) -> object:
        return getattr(self._inner, "last_context", None)

    async def _answered(self, item: SessionMessage | Exception) -> bool:
        """True when `item` was an unreadable line (answered here, not passed on)."""
        if not isinstance(item, Exception):
            return False
        reply = error_reply(item)
        if reply is not None:
            await self._write.send(SessionMessage(reply))
        return True

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item: SessionMessage | Exception = await self._inner.receive()
            if not await self._answered(item):
                return item

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        while True:
            item: SessionMessage | Exception = await self._inner.__anext__()
            if not await self._answered(item):
                return item

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.aclose()
        return None


async def serve_stdio(server: MCPServer) -> None:
    """`server.run_stdio_async()`, with malformed lines answered."""
    lowlevel = server._lowlevel_server  # the SDK's own run_stdio_async does the same
    async with stdio_server() as (read_stream, write_stream):
        await lowlevel.run(
            RepliesToMalformed(read_stream, write_stream),
            write_stream,
            lowlevel.create_initialization_options(),
        )
