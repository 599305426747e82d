"""What each MCP tool does, as plain async functions over a `ToolDeps` bundle.

No protocol here: `mcp_server.server` registers thin wrappers around these functions. They
raise `ToolError` with a message the model can act on (the only SDK type used), record every
write in the audit log, and never put the API key in a result or an error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from mcp.server.mcpserver import AcceptedElicitation, CancelledElicitation, DeclinedElicitation
from mcp.server.mcpserver.exceptions import ToolError

from dnc_client.errors import AuthenticationError, ConflictError, DncError, NotFoundError
from dnc_client.models import BatchDetail, BatchResult, CheckResult, DncEntry
from dnc_client.spec import BATCH_MAX_ENTRIES, ENTRY_ID_PATTERN, LIST_LIMIT_MAX
from mcp_server.api import DncApi
from mcp_server.approval import ApprovalService
from mcp_server.audit import AuditLog, iso_utc
from mcp_server.confirm import ConfirmationTokens
from mcp_server.errors import TokenRejected, agent_message
from mcp_server.models import (
    AddResult,
    BatchAddResult,
    DeleteConfirmation,
    DeleteResult,
    ListResult,
)
from mcp_server.tenancy import SingleTenant, Tenancy

__all__ = [
    "MAX_ID_SCAN_PAGES",
    "Answer",
    "DeletePolicy",
    "DeleteTarget",
    "Progress",
    "ToolDeps",
    "add_url",
    "add_urls",
    "check_url",
    "chunked",
    "delete_confirmed",
    "delete_not_confirmed",
    "delete_with_token",
    "find_delete_target",
    "interpret_answer",
    "list_entries",
    "merge_batches",
    "preview_delete",
    "validate_delete_args",
]

MAX_ID_SCAN_PAGES: Final = 5  # delete by id: pages of the list scanned to show the human the URL
Progress = Callable[[int, int, str], Awaitable[None]]
Answer = Literal["yes", "no", "declined", "cancelled", "not_asked"]
_ID_RE: Final = re.compile(ENTRY_ID_PATTERN)


@dataclass(frozen=True)
class DeletePolicy:
    """How `dnc_delete` asks for the human's yes (see `mcp_server.consent`)."""

    confirm_with_token: bool = False  # the weaker echo-token flow for clients without elicitation
    prefer_url_elicitation: bool = False  # URL mode even when the client also takes forms


@dataclass(frozen=True)
class ToolDeps:
    """Everything the tools need; built once per server.

    `api` acts with the server's key, or (multi-tenant) with the key of the request being served.
    """

    api: DncApi
    audit: AuditLog
    tokens: ConfirmationTokens
    approvals: ApprovalService | None = None
    tenancy: Tenancy = field(default_factory=SingleTenant)
    policy: DeletePolicy = field(default_factory=DeletePolicy)


@dataclass(frozen=True)
class DeleteTarget:
    """The entry a delete call is about; `url` is None when the id was not found in the scan."""

    entry_id: str
    url: str | None
    created_at: str | None = None
    team: str | None = None


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
        deps.audit.record(tool="dnc_add", url=url, reason=reason, outcome=_outcome(error))
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
            _audit_unsent(deps, unsent, reason, _outcome(error))
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


def _outcome(error: DncError) -> str:
    code = getattr(error, "code", "connection_error")
    return f"error: {code}"


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


# ---- delete -------------------------------------------------------------------------------


def validate_delete_args(entry_id: str | None, url: str | None) -> None:
    """Exactly one of entry_id or url; an id must look like the spec's `dnc_[alphanumeric]`."""
    if (entry_id is None) == (url is None):
        raise ToolError(
            "Give exactly one of entry_id (e.g. dnc_12345abcde) or url (a LinkedIn profile URL)."
        )
    if entry_id is not None and not _ID_RE.fullmatch(entry_id):
        raise ToolError(
            f"{entry_id!r} is not a DNC entry id (they look like dnc_12345abcde). Pass the"
            " person's LinkedIn URL as url instead, or find the id with dnc_check."
        )


async def find_delete_target(deps: ToolDeps, entry_id: str | None, url: str | None) -> DeleteTarget:
    """Which entry the call means: by url through check, by id through a bounded list scan."""
    validate_delete_args(entry_id, url)
    try:
        if url is not None:
            found = await deps.api.check(url)
            if found.entry is None:
                raise ToolError(
                    "This URL is not on your team's Do-Not-Contact list; there is nothing to"
                    " delete."
                )
            return _target(found.entry)
        assert entry_id is not None
        for page_number in range(MAX_ID_SCAN_PAGES):
            page = await deps.api.list(LIST_LIMIT_MAX, page_number * LIST_LIMIT_MAX)
            for entry in page.entries:
                if entry.id == entry_id:
                    return _target(entry)
            if page.total < page.limit:
                raise ToolError(
                    f"No entry {entry_id} on your team's Do-Not-Contact list; nothing to delete."
                    " Use dnc_check with the person's URL to find the right entry."
                )
    except DncError as error:
        raise _tool_error(error) from None
    return DeleteTarget(entry_id=entry_id, url=None)


def _target(entry: DncEntry) -> DeleteTarget:
    return DeleteTarget(
        entry_id=entry.id, url=entry.url, created_at=entry.created_at, team=entry.team_id
    )


def interpret_answer(answer: object) -> Answer:
    """What the human said, from a resolver outcome (a non-form value means not asked)."""
    if isinstance(answer, DeclinedElicitation):
        return "declined"
    if isinstance(answer, CancelledElicitation):
        return "cancelled"
    if isinstance(answer, AcceptedElicitation) and isinstance(answer.data, DeleteConfirmation):
        return "yes" if answer.data.confirm else "no"
    return "not_asked"


def preview_delete(deps: ToolDeps, target: DeleteTarget) -> DeleteResult:
    """First call without elicitation: delete nothing, hand out a token for a second call."""
    issued = deps.tokens.issue(target.entry_id)
    expires_at = iso_utc(issued.expires_at)
    deps.audit.record(
        tool="dnc_delete",
        url=target.url,
        entry_id=target.entry_id,
        outcome="confirmation_required",
    )
    shown = target.url or "(URL not found in the list scan)"
    return DeleteResult(
        status="confirmation_required",
        entry_id=target.entry_id,
        url=target.url,
        confirmation_token=issued.token,
        expires_at=expires_at,
        message=(
            f"NOTHING WAS DELETED. Show the human this and ask for an explicit yes: remove"
            f" {shown} (entry {target.entry_id}) from the Do-Not-Contact list permanently, so"
            " they can be contacted again. Only if the human says yes, call dnc_delete again"
            " with the same entry and this confirmation_token (single use, valid until"
            f" {expires_at}). If they say no, do nothing."
        ),
    )


async def delete_with_token(deps: ToolDeps, target: DeleteTarget, token: str) -> DeleteResult:
    """Second call without elicitation: the token must be valid for this very entry."""
    try:
        deps.tokens.redeem(token, target.entry_id)
    except TokenRejected as rejected:
        deps.audit.record(
            tool="dnc_delete",
            url=target.url,
            entry_id=target.entry_id,
            outcome="refused: invalid confirmation token",
        )
        raise ToolError(str(rejected)) from None
    return await delete_confirmed(deps, target, confirmed_by="confirmation_token")


async def delete_confirmed(
    deps: ToolDeps, target: DeleteTarget, *, confirmed_by: str
) -> DeleteResult:
    """Delete after a human's yes."""
    try:
        message = await deps.api.delete(target.entry_id)
    except DncError as error:
        deps.audit.record(
            tool="dnc_delete",
            url=target.url,
            entry_id=target.entry_id,
            outcome=_outcome(error),
            confirmed_by=confirmed_by,
        )
        if isinstance(error, NotFoundError):
            raise ToolError(
                f"Entry {target.entry_id} is no longer on the list (404); nothing was deleted"
                " now. Use dnc_check with the URL to see the current state."
            ) from None
        raise _tool_error(error) from None
    deps.audit.record(
        tool="dnc_delete",
        url=target.url,
        entry_id=target.entry_id,
        outcome="deleted",
        confirmed_by=confirmed_by,
    )
    return DeleteResult(
        status="deleted",
        entry_id=target.entry_id,
        url=target.url,
        message=f"{message}. The human confirmed; this person may be contacted again.",
    )


def delete_not_confirmed(deps: ToolDeps, target: DeleteTarget, answer: Answer) -> DeleteResult:
    """The human said no, declined or cancelled: nothing is deleted."""
    deps.audit.record(
        tool="dnc_delete",
        url=target.url,
        entry_id=target.entry_id,
        outcome=f"not_deleted: human answer {answer}",
    )
    return DeleteResult(
        status="not_deleted",
        entry_id=target.entry_id,
        url=target.url,
        message=(
            f"Nothing was deleted: the human did not approve (answer: {answer}). The person"
            " stays on the Do-Not-Contact list. Do not retry unless the human asks you to."
        ),
    )
