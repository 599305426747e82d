"""Scopes `dnc:read`, `dnc:write`, `dnc:delete`: which tools a credential may see and call.

A credential's scopes travel with its request (`get_access_token().scopes`, put there by
`mcp_server.access`), so they hold per request, not per process: two clients of one server
see different tools. Without a credential (stdio) nothing is narrowed here; `--read-only` and
`--no-delete` still decide which tools exist at all.

Two places enforce them:
- `ScopeFilter`, an SDK middleware: `tools/list` leaves out what the scopes do not allow, and a
  `tools/call` beyond them is a tool error naming the missing scope;
- `ScopeGate`, in front of /mcp on HTTP: a `tools/call` beyond the scopes is answered 403 with
  `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` before the SDK sees it, so
  an OAuth client can ask the person for more (step-up authorization).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, ListToolsResult, TextContent
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.access import FULL_SCOPES

__all__ = [
    "ALL_SCOPES",
    "DELETE",
    "READ",
    "SCOPE_DESCRIPTIONS",
    "TOOL_SCOPES",
    "WRITE",
    "ScopeFilter",
    "ScopeGate",
    "granted",
    "missing_scope",
]

READ: Final = "dnc:read"
WRITE: Final = "dnc:write"
DELETE: Final = "dnc:delete"
ALL_SCOPES: Final = FULL_SCOPES  # (READ, WRITE, DELETE): what a team key may do
SCOPE_DESCRIPTIONS: Final = {
    READ: "Check URLs against the list and read its entries",
    WRITE: "Add people to the list",
    DELETE: "Ask for a person's removal (a human still approves each one)",
}
TOOL_SCOPES: Final = {
    "dnc_check": READ,
    "dnc_check_many": READ,
    "dnc_list": READ,
    "dnc_add": WRITE,
    "dnc_add_batch": WRITE,
    "dnc_delete": DELETE,
}
MAX_PEEK_BYTES: Final = 64 * 1024 * 1024  # the gate reads a body this large at most


def granted() -> frozenset[str] | None:
    """The scopes of the request being served; None: no credential (stdio), not narrowed."""
    token = get_access_token()
    return None if token is None else frozenset(token.scopes)


def missing_scope(tool: str, scopes: Iterable[str]) -> str | None:
    """The scope `tool` needs that `scopes` lacks, if any (unknown tools need none here)."""
    needed = TOOL_SCOPES.get(tool)
    return needed if needed is not None and needed not in set(scopes) else None


def _refusal(tool: str, needed: str) -> str:
    return (
        f"This connection's authorization does not include the {needed} scope, which"
        f" {tool} needs. Ask the person to reconnect and grant {needed}; nothing was done."
    )


class ScopeFilter:
    """SDK middleware (`MCPServer(middleware=[...])`): narrows `tools/list` and refuses
    `tools/call` to the scopes of the request's credential."""

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        scopes = granted()
        if scopes is None or ctx.request_id is None:
            return await call_next(ctx)
        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            needed = missing_scope(name, scopes) if isinstance(name, str) else None
            if needed is not None:
                assert isinstance(name, str)
                return CallToolResult(
                    content=[TextContent(type="text", text=_refusal(name, needed))], is_error=True
                )
            return await call_next(ctx)
        result = await call_next(ctx)
        if ctx.method == "tools/list":
            return _narrowed(result, scopes)
        return result


def _narrowed(result: HandlerResult, scopes: frozenset[str]) -> HandlerResult:
    if isinstance(result, ListToolsResult):
        kept = [tool for tool in result.tools if missing_scope(tool.name, scopes) is None]
        return result.model_copy(update={"tools": kept})
    if isinstance(result, dict) and isinstance(result.get("tools"), list):
        tools = result["tools"]
        kept_raw = [t for t in tools if missing_scope(str(t.get("name")), scopes) is None]
        return {**result, "tools": kept_raw}
    return result


class ScopeGate:
    """ASGI, inside `AccessMiddleware`: a POST whose JSON-RPC `tools/call` (or any call of a
    batch) needs a scope the credential lacks is answered 403 `insufficient_scope`. Only a
    credential without every scope has its body read; the body is then replayed to `app`."""

    def __init__(self, app: ASGIApp, *, resource_metadata_url: str | None = None) -> None:
        self.app = app
        self.resource_metadata_url = resource_metadata_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not isinstance(user, AuthenticatedUser)
            or set(ALL_SCOPES) <= set(user.scopes)
        ):
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        if not more:
            needed = _needed(body, user.scopes)
            if needed:
                await self._forbid(send, [*user.scopes, *needed], needed)
                return
        await self.app(scope, _replay(body, more, receive), send)

    async def _forbid(self, send: Send, wanted: Sequence[str], needed: Sequence[str]) -> None:
        scope_text = " ".join(dict.fromkeys(wanted))
        parts = [
            'error="insufficient_scope"',
            f'scope="{scope_text}"',
            f'error_description="this call needs {" ".join(needed)}"',
        ]
        if self.resource_metadata_url is not None:
            parts.append(f'resource_metadata="{self.resource_metadata_url}"')
        body = json.dumps(
            {
                "error": "insufficient_scope",
                "error_description": f"This call needs the scope {' '.join(needed)}.",
                "scope": scope_text,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", ("Bearer " + ", ".join(parts)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, or (what was read, True) once it passes MAX_PEEK_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > MAX_PEEK_BYTES:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


def _needed(body: bytes, scopes: Sequence[str]) -> list[str]:
    """The scopes the body's tool calls need beyond `scopes` (none for what is not JSON-RPC)."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    messages = parsed if isinstance(parsed, list) else [parsed]
    needed: dict[str, None] = {}
    for message in messages:
        if not isinstance(message, Mapping) or message.get("method") != "tools/call":
            continue
        params = message.get("params")
        name = params.get("name") if isinstance(params, Mapping) else None
        missing = missing_scope(name, scopes) if isinstance(name, str) else None
        if missing is not None:
            needed[missing] = None
    return list(needed)
