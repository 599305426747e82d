"""`dnc_check_many`: many URLs checked in one tool call, on `AsyncDncClient.check_many`.

The client reads the whole list in a few requests (about one per 1,000 entries) and matches
locally where that is cheaper than one check per URL; spellings outside the documented forms
cost two checks per spelling shape (`dnc_client.shapes`). So 10,000 prospects take seconds at
the documented limits, not hours; a short list against a long one is checked URL by URL at the
read limit (60 a minute). A URL that could not be checked comes back with `onList: null` and
an error, never `onList: false`; a refused key or an unreachable API ends the call with one
error naming the cause. The model reads compact text (`mcp_server.results`); the whole result
is the structured content.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from dnc_client import BulkProgress, CheckOutcome, DncError, WireModel
from mcp_server.errors import agent_message
from mcp_server.results import Only, check_many_text, require_at_most, tool_result
from mcp_server.tools import ToolDeps

__all__ = ["CheckManyResult", "ReportProgress", "check_many_tool", "check_urls", "summary"]

ReportProgress = Callable[[float, float | None, str], Awaitable[None]]


class CheckManyResult(WireModel):
    """One result per input URL, in input order, and what they add up to."""

    results: Annotated[
        list[CheckOutcome],
        Field(
            description=(
                "One per URL given, same order: url, onList (null: unknown), entry (with the"
                " `$id` that dnc_delete takes as entry_id); with `only`, just those inputs"
            )
        ),
    ]
    indexes: Annotated[
        list[int] | None,
        Field(description="With `only`: each result's position among the URLs given"),
    ] = None
    on_list: Annotated[int, Field(alias="onListCount", ge=0)]
    not_on_list: Annotated[int, Field(alias="notOnListCount", ge=0)]
    unknown: Annotated[int, Field(alias="unknownCount", ge=0)]
    message: str


def summary(results: Sequence[CheckOutcome]) -> CheckManyResult:
    listed = sum(1 for r in results if r.on_list is True)
    clear = sum(1 for r in results if r.on_list is False)
    unknown = len(results) - listed - clear
    message = (
        f"{listed} of {len(results)} are ON the Do-Not-Contact list: never contact them."
        f" {clear} are not on it."
    )
    if unknown:
        message += (
            f" {unknown} could not be checked (onList null, see error): treat them as"
            " not cleared and do not contact them until a check succeeds."
        )
    return CheckManyResult(
        results=list(results), on_list=listed, not_on_list=clear, unknown=unknown, message=message
    )


async def check_urls(
    deps: ToolDeps, urls: Sequence[str], report: ReportProgress | None = None
) -> CheckManyResult:
    async def progress(update: BulkProgress) -> None:
        if report is not None:
            await report(update.done, update.total, update.message)

    try:
        results = await deps.api.check_many(urls, progress=progress)
    except DncError as error:  # check_many reports per URL; this is a last resort
        raise ToolError(agent_message(error)) from None
    return summary(results)


async def check_many_tool(
    deps: ToolDeps,
    urls: Sequence[str],
    only: Only | None = None,
    report: ReportProgress | None = None,
) -> CallToolResult:
    """The tool: the whole answer as structured content, compact text for the model."""
    require_at_most("dnc_check_many", urls)
    result = await check_urls(deps, urls, report)
    text = check_many_text(result.results, result.message, only)
    if only is not None:
        kept = [(i, o) for i, o in enumerate(result.results) if _shown_for(o, only)]
        result = result.model_copy(
            update={"results": [o for _, o in kept], "indexes": [i for i, _ in kept]}
        )
    return tool_result(result, text)


def _shown_for(outcome: CheckOutcome, only: Only) -> bool:
    return outcome.on_list is True if only == "listed" else outcome.on_list is None
