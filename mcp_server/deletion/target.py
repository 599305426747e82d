"""Which entry a `dnc_delete` call means: by URL through check, by id through a bounded scan.

The target is what the human is shown (URL, id, when it was added), so it comes from the API,
never from the model's arguments alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from mcp.server.mcpserver.exceptions import ToolError

from dnc_client import DncEntry, DncError
from dnc_kit.contract import ENTRY_ID_PATTERN, LIST_LIMIT_MAX
from mcp_server.api import DncApi
from mcp_server.errors import agent_message

__all__ = ["MAX_ID_SCAN_PAGES", "DeleteTarget", "find_delete_target", "validate_delete_args"]

MAX_ID_SCAN_PAGES: Final = 5  # delete by id: pages of the list scanned to show the human the URL
_ID_RE: Final = re.compile(ENTRY_ID_PATTERN)


@dataclass(frozen=True)
class DeleteTarget:
    """The entry a delete call is about; `url` is None when the id was not found in the scan."""

    entry_id: str
    url: str | None
    created_at: str | None = None
    team: str | None = None

    @classmethod
    def of(cls, entry: DncEntry) -> DeleteTarget:
        return cls(
            entry_id=entry.id, url=entry.url, created_at=entry.created_at, team=entry.team_id
        )


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


async def find_delete_target(api: DncApi, entry_id: str | None, url: str | None) -> DeleteTarget:
    """The entry the call means, as the API (with the caller's key) shows it."""
    validate_delete_args(entry_id, url)
    try:
        if url is not None:
            found = await api.check(url)
            if found.entry is None:
                raise ToolError(
                    "This URL is not on your team's Do-Not-Contact list; there is nothing to"
                    " delete."
                )
            return DeleteTarget.of(found.entry)
        assert entry_id is not None
        for page_number in range(MAX_ID_SCAN_PAGES):
            page = await api.list(LIST_LIMIT_MAX, page_number * LIST_LIMIT_MAX)
            for entry in page.entries:
                if entry.id == entry_id:
                    return DeleteTarget.of(entry)
            if page.total < page.limit:
                raise ToolError(
                    f"No entry {entry_id} on your team's Do-Not-Contact list; nothing to delete."
                    " Use dnc_check with the person's URL to find the right entry."
                )
    except DncError as error:
        raise ToolError(agent_message(error)) from None
    return DeleteTarget(entry_id=entry_id, url=None)
