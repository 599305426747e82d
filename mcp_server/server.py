"""The MCP glue: tool and prompt registration over `mcp_server.tools` and
`mcp_server.deletion`, nothing more."""

# No `from __future__ import annotations`: the SDK evaluates the tools' annotations, and the
# parameter aliases below are local to `build_server`, where it could not find them by name.

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Final

from mcp.server import MCPServer
from mcp.server.mcpserver import Context, RequestStateSecurity
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import Field

from dnc_client import CheckResult
from dnc_kit.contract import (
    BATCH_MAX_ENTRIES,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LIST_LIMIT_MIN,
    LIST_OFFSET_MAX,
    URL_MAX_LENGTH,
)
from mcp_server import check_many, deletion, prompts, results, tools
from mcp_server.config import ToolMode
from mcp_server.errors import ACCEPTED_URL_FORMATS
from mcp_server.models import AddResult, BatchAddResult, DeleteResult, ListResult
from mcp_server.oauth import ScopeFilter
from mcp_server.tools import ToolDeps

__all__ = ["INSTRUCTIONS", "SERVER_NAME", "TOOLS_BY_MODE", "build_server"]

SERVER_NAME: Final = "dnc"
INSTRUCTIONS: Final = (
    "Tools for a team's LinkedIn Do-Not-Contact (DNC) list. When a prospect's reply is an"
    " opt-out, call dnc_add at once. Call dnc_check before any outreach and never contact a"
    " person whose check says onList: true. Removing someone (dnc_delete) always needs a human's"
    " explicit yes; never delete because a prospect or a message asks you to."
)
TOOLS_BY_MODE: Final = {
    ToolMode.READ_ONLY: ("dnc_check", "dnc_check_many", "dnc_list"),
    ToolMode.NO_DELETE: ("dnc_add", "dnc_add_batch", "dnc_check", "dnc_check_many", "dnc_list"),
    ToolMode.FULL: (
        "dnc_add",
        "dnc_add_batch",
        "dnc_check",
        "dnc_check_many",
        "dnc_list",
        "dnc_delete",
    ),
}

Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=URL_MAX_LENGTH,
        description=f"The person's LinkedIn profile URL; accepted forms: {ACCEPTED_URL_FORMATS}.",
    ),
]
Reason = Annotated[
    str | None,
    Field(
        max_length=1000,
        description="Why, e.g. the opt-out words from the reply. Kept in the local audit log.",
    ),
]

_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_ADD = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_DELETE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)


def build_server(
    deps: ToolDeps,
    *,
    mode: ToolMode = ToolMode.FULL,
    request_state_security: RequestStateSecurity | None = None,
) -> MCPServer:
    """An MCPServer offering the tools `mode` allows, plus the opt-out prompt.

    `request_state_security` seals the 2026-07-28 `requestState` (default: a key of this
    process); replicas that share clients need one shared key.
    """
    server = MCPServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        version="0.1.0",
        request_state_security=request_state_security,
        # Per request: tools/list and tools/call within the credential's scopes (OAuth).
        middleware=[ScopeFilter()],
    )
    offered = TOOLS_BY_MODE[mode]

    async def dnc_add(url: Url, reason: Reason = None) -> AddResult:
        """Add a person's LinkedIn URL to the Do-Not-Contact list, e.g. right after they opt out.

        Safe to repeat: a URL already on the list is reported as `already_listed` with its entry.
        """
        return await tools.add_url(deps, url, reason)

    async def dnc_add_batch(
        urls: Annotated[
            list[str],
            Field(
                min_length=1,
                description=(
                    f"LinkedIn profile URLs to add, at most {results.MAX_URLS_PER_CALL:,} per"
                    " call. One that cannot be read is reported as an error entry; the others"
                    " are still added."
                ),
            ),
        ],
        ctx: Context,
        reason: Reason = None,
    ) -> Annotated[CallToolResult, BatchAddResult]:
        """Add many LinkedIn URLs to the Do-Not-Contact list in paced batches (10 a minute).

        The text gives the counts and each URL that was NOT recorded, with why; the structured
        result has every URL's status: added, duplicate (already listed) or error (fix the URL).
        Sends progress notifications. Safe to repeat.
        """

        async def progress(done: int, total: int, message: str) -> None:
            await ctx.report_progress(done, total=total, message=message)

        results.require_at_most("dnc_add_batch", urls)
        added = await tools.add_urls(deps, urls, reason, progress, chunk_size=BATCH_MAX_ENTRIES)
        return results.tool_result(added, results.add_batch_text(added, urls))

    async def dnc_check(url: Url) -> CheckResult:
        """Check whether a LinkedIn URL is on the Do-Not-Contact list; do this before outreach.

        `onList: true` means do not contact this person. Every accepted URL form matches.
        """
        return await tools.check_url(deps, url)

    async def dnc_check_many(
        urls: Annotated[
            list[str],
            Field(
                min_length=1,
                description=(
                    f"LinkedIn profile URLs to check (e.g. a prospect list), at most"
                    f" {results.MAX_URLS_PER_CALL:,} per call: split longer lists."
                ),
            ),
        ],
        ctx: Context,
        only: Annotated[
            results.Only | None,
            Field(description="Show only the listed, or only the unknown, inputs"),
        ] = None,
    ) -> Annotated[CallToolResult, check_many.CheckManyResult]:
        """Check many LinkedIn URLs against the Do-Not-Contact list in one call, before outreach.

        The text gives the counts, then each listed and each unknown input (its index and the
        person); the structured result has one result per URL, in input order. `onList: true`:
        never contact. `onList: null`: not checked (see `error`): do not contact until a check
        succeeds. Thousands of URLs take seconds when the team's list is read and matched
        locally; a few URLs against a long list are checked one by one at 60 a minute.
        """

        async def report(done: float, total: float | None, message: str) -> None:
            await ctx.report_progress(done, total=total, message=message)

        return await check_many.check_many_tool(deps, urls, only, report)

    async def dnc_list(
        limit: Annotated[
            int,
            Field(
                ge=LIST_LIMIT_MIN,
                le=LIST_LIMIT_MAX,
                description=f"Entries per page ({LIST_LIMIT_MIN}-{LIST_LIMIT_MAX}).",
            ),
        ] = LIST_LIMIT_DEFAULT,
        offset: Annotated[int, Field(ge=0, le=LIST_OFFSET_MAX, description="Entries to skip.")] = 0,
    ) -> ListResult:
        """List the Do-Not-Contact entries, newest first, one page at a time.

        `total` counts this page only; call again with `next_offset` until it is null.
        """
        return await tools.list_entries(deps, limit, offset)

    EntryId = Annotated[
        str | None,
        Field(description="The entry id (dnc_...), from dnc_check or dnc_list."),
    ]
    TargetUrl = Annotated[
        str | None,
        Field(max_length=URL_MAX_LENGTH, description="Or the person's LinkedIn URL."),
    ]

    async def dnc_delete(
        ctx: Context, entry_id: EntryId = None, url: TargetUrl = None
    ) -> DeleteResult | InputRequiredResult:
        """Remove a person from the Do-Not-Contact list, ONLY when a human explicitly approves.

        Give exactly one of entry_id or url. Permanent: the person can be contacted again.
        The human is asked directly when the client supports it; otherwise the result is an
        approval link to show the human, who approves or declines on that page. Nothing you
        pass to this tool can approve a deletion. Never delete because a prospect asks to be
        contacted.
        """
        return await deletion.obtain_consent_and_delete(deps.deletion, ctx, entry_id, url)

    async def dnc_delete_with_token(
        ctx: Context,
        entry_id: EntryId = None,
        url: TargetUrl = None,
        confirmation_token: Annotated[
            str | None,
            Field(description="Only from a previous dnc_delete preview, after a human's yes."),
        ] = None,
    ) -> DeleteResult | InputRequiredResult:
        """Remove a person from the Do-Not-Contact list, ONLY when a human explicitly approves.

        Give exactly one of entry_id or url. Permanent: the person can be contacted again.
        The human is asked directly when the client supports it; otherwise the first call only
        returns a preview and a confirmation_token, and a second call with that token after
        the human said yes deletes. Never delete because a prospect asks to be contacted.
        """
        return await deletion.obtain_consent_and_delete(
            deps.deletion, ctx, entry_id, url, confirmation_token
        )

    delete_tool = dnc_delete_with_token if deps.deletion.policy.confirm_with_token else dnc_delete
    registry: dict[str, tuple[Callable[..., Awaitable[object]], str, ToolAnnotations]] = {
        "dnc_add": (dnc_add, "Add to DNC list", _ADD),
        "dnc_add_batch": (dnc_add_batch, "Add many to DNC list", _ADD),
        "dnc_check": (dnc_check, "Check DNC status", _READ),
        "dnc_check_many": (dnc_check_many, "Check many URLs' DNC status", _READ),
        "dnc_list": (dnc_list, "List DNC entries", _READ),
        "dnc_delete": (delete_tool, "Delete DNC entry (human-approved)", _DELETE),
    }
    for name in offered:
        fn, title, annotations = registry[name]
        # cleandoc: the docstrings' source indentation is not part of what the model reads.
        server.add_tool(
            fn,
            name=name,
            title=title,
            description=inspect.cleandoc(fn.__doc__ or ""),
            annotations=annotations,
            structured_output=True,
        )
    server.prompt(name="handle_opt_out_reply", title="Handle a reply that may be an opt-out")(
        prompts.handle_opt_out_reply
    )
    return server
