"""What the add, check and list tools do, as plain async functions over a `ToolDeps` bundle.

No protocol here: `mcp_server.server` registers thin wrappers around these functions (and
around `mcp_server.deletion`, which owns the whole of `dnc_delete`). They raise `ToolError` with
a message the model can act on (the only SDK type used), record every write in the audit log,
and never put the API key in a result or an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

from mcp.server.mcpserver.exceptions import ToolError

from dnc_client import (
    AuthenticationError,
    BatchDetail,
    BatchResult,
    CheckResult,
    ConflictError,
    DncError,
)
from dnc_kit.contract import BATCH_MAX_ENTRIES
from mcp_server.api import DncApi
from mcp_server.audit import AuditLog
from mcp_server.deletion import DeleteFlow
from mcp_server.deletion.execute import outcome_of
from mcp_server.errors import agent_message
from mcp_server.models import AddResult, BatchAddResult, ListResult
from mcp_server.tenancy import SingleTenant, Tenancy

__all__ = [
    "Progress",
    "ToolDeps",
    "add_url",
    "add_urls",
    "check_url",
    "chunked",
    "list_entries",
    "merge_batches",
]

Progress = Callable[[int, int, str], Awaitable[None]]


@dataclass(frozen=True)
class ToolDeps:
    """Everything the tools need; built once per server.

    `api` acts with the server's key, or (multi-tenant) with the key of the request being served.
    """

    api: DncApi
    audit: AuditLog
    deletion: DeleteFlow
    tenancy: Tenancy = field(default_factory=SingleTenant)


def _tool_error(error: DncError) -> ToolError:
    return ToolError(agent_message(error))


# ---- add ----------------------------------------------------------------------------------


async def add_url(deps: ToolDeps, url: str, reason: str | None) -> AddResult:
    """Put `url` on the list; an already-listed URL is success (`already_listed`)."""
    try:
        entry = await deps.api.add(url)
    except ConflictError:
        try:
            existing = await deps.api.check(url)
        except DncError as error:
            deps.audit.record(tool="dnc_add", url=url, reason=reason, outcome="already_listed")
            raise _tool_error(error) from None
        listed = existing.entry
        deps.audit.record(
            tool="dnc_add",
            url=listed.url if listed else url,
            entry_id=listed.id if listed else None,
            reason=reason,
            outcome="already_listed",
        )
        return AddResult(
            status="already_listed",
            entry=existing.entry,
            message="Already on the Do-Not-Contact list; nothing to do. Do not contact them.",
        )
    except DncError as error:
        deps.audit.record(tool="dnc_add", url=url, reason=reason, outcome=outcome_of(error))
        raise _tool_error(error) from None
    deps.audit.record(
        tool="dnc_add", url=entry.url, entry_id=entry.id, reason=reason, outcome="added"
    )
    return AddResult(
        status="added",
        entry=entry,
        message="Added to the Do-Not-Contact list. Do not contact them.",
    )


def chunked(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def merge_batches(results: Sequence[BatchResult], *, requests: int) -> BatchAddResult:
    """One result over several batch answers, details in input order."""
    details = [detail for result in results for detail in result.details]
    added = sum(r.added for r in results)
    duplicates = sum(r.duplicates for r in results)
    errors = sum(r.errors for r in results)
    return BatchAddResult(
        added=added,
        duplicates=duplicates,
        errors=errors,
        details=details,
        requests=requests,
        message=(
            f"{added} added, {duplicates} already on the list, {errors} failed. Entries with"
            " status error were NOT recorded: fix or check those URLs (see each error)."
            if errors
            else f"{added} added, {duplicates} already on the list. All are on the list now."
        ),
    )


async def add_urls(
    deps: ToolDeps,
    urls: Sequence[str],
    reason: str | None,
    progress: Progress | None = None,
    *,
    chunk_size: int = BATCH_MAX_ENTRIES,
) -> BatchAddResult:
    """Add any number of URLs in paced batch requests of at most `chunk_size`."""
    results: list[BatchResult] = []
    done = 0
    chunks = list(chunked(urls, chunk_size))
    for sent, chunk in enumerate(chunks, start=1):
        try:
            result = await deps.api.add_batch(chunk)
        except DncError as error:
            unsent = urls[done:]
            _audit_unsent(deps, unsent, reason, outcome_of(error))
            if not results or isinstance(error, AuthenticationError):
                raise _tool_error(error) from None
            # Earlier requests are on the list already: report them, and the rest as not sent.
            note = f"not sent: {agent_message(error)}"
            results.append(
                BatchResult(
                    added=0,
                    duplicates=0,
                    errors=len(unsent),
                    details=[BatchDetail(url=u, status="error", error=note) for u in unsent],
                )
            )
            return merge_batches(results, requests=sent - 1)
        for detail in result.details:
            deps.audit.record(
                tool="dnc_add_batch",
                url=detail.url,
                reason=reason,
                outcome=detail.status if detail.error is None else f"error: {detail.error}",
            )
        results.append(result)
        done += len(chunk)
        if progress is not None:
            await progress(done, len(urls), f"{done}/{len(urls)} URLs processed")
    return merge_batches(results, requests=len(chunks))


def _audit_unsent(deps: ToolDeps, urls: Sequence[str], reason: str | None, outcome: str) -> None:
    for url in urls:
        deps.audit.record(tool="dnc_add_batch", url=url, reason=reason, outcome=outcome)


# ---- read ---------------------------------------------------------------------------------


async def check_url(deps: ToolDeps, url: str) -> CheckResult:
    try:
        return await deps.api.check(url)
    except DncError as error:
        raise _tool_error(error) from None


async def list_entries(deps: ToolDeps, limit: int, offset: int) -> ListResult:
    try:
        page = await deps.api.list(limit, offset)
    except DncError as error:
        raise _tool_error(error) from None
    more = page.total >= page.limit
    return ListResult(
        entries=page.entries,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_offset=page.offset + page.total if more else None,
    )
