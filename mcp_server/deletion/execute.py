"""The one place an entry is deleted: the API's DELETE and its audit line, after a human's yes.

Every way of asking the human (form, URL elicitation, approval page, echo token) ends here, so
every deletion's audit line says the same things: which entry, the outcome, through which
channel the yes came, when, and who gave it (the fingerprint of the credential the approver
proved, or null where none was proven: a link alone on loopback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from dnc_client import DncError
from mcp_server.api import DncApi
from mcp_server.audit import AuditLog, iso_utc
from mcp_server.deletion.target import DeleteTarget

__all__ = ["DELETE_TOOL", "Channel", "Consent", "Deletion", "delete_and_audit", "outcome_of"]

Channel = Literal["form", "url", "page", "token"]
DELETE_TOOL: Final = "dnc_delete"


@dataclass(frozen=True)
class Consent:
    """A human's yes: how it came (`channel`, `confirmed_by`), when, and from whom."""

    channel: Channel
    confirmed_by: str  # in words, e.g. "elicitation" or "approved on the approval page"
    at: float
    approver: str | None = None  # the approver's credential fingerprint; None: none proven


@dataclass(frozen=True)
class Deletion:
    """What the DELETE did: `message` is the API's on success; `error` what failed otherwise."""

    deleted: bool
    message: str | None = None
    error: DncError | None = None


def outcome_of(error: DncError) -> str:
    return f"error: {getattr(error, 'code', 'connection_error')}"


async def delete_and_audit(
    api: DncApi, audit: AuditLog, target: DeleteTarget, consent: Consent, **fields: str | None
) -> Deletion:
    """Delete `target` with `api` and write its audit line; `fields` add to the line (e.g. the
    approval id, or the requester's team and fingerprint when no MCP request is being served)."""
    try:
        message = await api.delete(target.entry_id)
    except DncError as error:
        result = Deletion(deleted=False, error=error)
    else:
        result = Deletion(deleted=True, message=message)
    audit.record(
        tool=DELETE_TOOL,
        url=target.url,
        entry_id=target.entry_id,
        outcome="deleted" if result.error is None else outcome_of(result.error),
        confirmed_by=consent.confirmed_by,
        channel=consent.channel,
        approved_at=iso_utc(consent.at),
        approver=consent.approver,
        **fields,
    )
    return result
