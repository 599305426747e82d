"""The tools' results: what an agent reads back from each tool.

They embed the API's own models (`dnc_client.models`), so an agent sees the same field names
the REST API documents (`$id`, `teamId`, `onList`, ...).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from dnc_client import BatchResult, DncEntry, ListPage, WireModel

__all__ = [
    "AddResult",
    "BatchAddResult",
    "DeleteConfirmation",
    "DeleteResult",
    "ListResult",
]


class AddResult(WireModel):
    """What `dnc_add` did: the URL is on the list either way."""

    status: Annotated[
        Literal["added", "already_listed"],
        Field(description="`added`: new entry; `already_listed`: it was on the list before"),
    ]
    entry: Annotated[
        DncEntry | None,
        Field(description="The entry now on the list (null only if it vanished meanwhile)"),
    ]
    message: str


class BatchAddResult(BatchResult):
    """What `dnc_add_batch` did, merged over every request it sent."""

    requests: Annotated[int, Field(ge=0, description="How many batch requests were sent")]
    message: str


class ListResult(ListPage):
    """A page of the list plus where the next page starts."""

    next_offset: Annotated[
        int | None,
        Field(
            description=(
                "Offset of the next page, or null when this page is the last one. `total` counts"
                " only this page, so page until next_offset is null to see everything."
            )
        ),
    ]


class DeleteResult(WireModel):
    """What `dnc_delete` did. Only `status: deleted` means the entry is gone."""

    status: Annotated[
        Literal["deleted", "approval_required", "not_deleted", "confirmation_required"],
        Field(
            description=(
                "`deleted`: removed after a human's approval; `approval_required`: nothing"
                " deleted, show `approval_url` to the human, who decides on that page;"
                " `not_deleted`: the human declined or the request expired, nothing deleted;"
                " `confirmation_required` (only with --confirm-with-token): nothing deleted,"
                " a human must approve and the call be repeated with `confirmation_token`"
            )
        ),
    ]
    entry_id: str
    url: Annotated[str | None, Field(description="The entry's URL, when it could be found")]
    message: str
    approval_url: Annotated[
        str | None,
        Field(description="The approval page for the human (only with approval_required)"),
    ] = None
    confirmation_token: Annotated[
        str | None,
        Field(description="Single-use token for this entry (only with confirmation_required)"),
    ] = None
    expires_at: Annotated[
        str | None, Field(description="ISO 8601 UTC expiry of the approval or the token")
    ] = None


class DeleteConfirmation(BaseModel):
    """The form a human fills in (elicitation) before an entry is deleted."""

    confirm: Annotated[
        bool,
        Field(
            title="Delete this entry",
            description="Yes: remove this person from the Do-Not-Contact list permanently.",
        ),
    ] = False
