"""Typed models: the API's data (mirroring openapi.yaml components) and the tools' results.

The API models keep the spec's wire names (`$id`, `teamId`, `onList`, ...) as aliases, take their
patterns and bounds from `mcp_server.spec`, and tests/mcp_server/test_models_match_spec.py fails
if their JSON schemas drift from the components they mirror. Tool results embed these models, so
an agent sees the same field names the REST API documents.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from mcp_server.spec import ENTRY_ID_PATTERN, LIST_LIMIT_MAX, LIST_LIMIT_MIN

__all__ = [
    "AddResult",
    "BatchAddResult",
    "BatchDetail",
    "BatchResult",
    "CheckResult",
    "DeleteConfirmation",
    "DeleteResult",
    "DncEntry",
    "ListPage",
    "ListResult",
]

_NORMALIZED_URL_PATTERN = r"^https://linkedin\.com/in/[^/?#\s]+$"


class _Model(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True, frozen=True
    )


class DncEntry(_Model):
    """One URL on the team's DNC list (`components.schemas.DncEntry`)."""

    id: Annotated[
        str,
        Field(
            alias="$id",
            pattern=ENTRY_ID_PATTERN,
            description="Unique identifier for the DNC entry, `dnc_[alphanumeric]`",
        ),
    ]
    team_id: Annotated[
        str, Field(alias="teamId", min_length=1, description="Team ID that owns this entry")
    ]
    url: Annotated[
        str,
        Field(
            pattern=_NORMALIZED_URL_PATTERN,
            description="A normalized LinkedIn profile URL, `https://linkedin.com/in/username`",
        ),
    ]
    created_at: Annotated[
        str,
        Field(
            alias="$createdAt",
            description="ISO 8601 timestamp when entry was created",
            json_schema_extra={"format": "date-time"},
        ),
    ]
    updated_at: Annotated[
        str,
        Field(
            alias="$updatedAt",
            description="ISO 8601 timestamp when entry was last updated",
            json_schema_extra={"format": "date-time"},
        ),
    ]


class CheckResult(_Model):
    """Whether a URL is on the list (`components.schemas.CheckResult`)."""

    on_list: Annotated[
        bool,
        Field(alias="onList", description="true if URL is on DNC list, false otherwise"),
    ]
    entry: Annotated[
        DncEntry | None,
        Field(description="Full DNC entry details if found, null if not on list"),
    ]


class ListPage(_Model):
    """One page of entries, newest first (`components.schemas.ListPage`)."""

    entries: Annotated[
        list[DncEntry], Field(max_length=LIST_LIMIT_MAX, description="DNC entries, newest first")
    ]
    total: Annotated[
        int,
        Field(
            ge=0,
            description="Count of entries in this response (not the whole list; documented quirk)",
        ),
    ]
    limit: Annotated[
        int,
        Field(
            ge=LIST_LIMIT_MIN,
            le=LIST_LIMIT_MAX,
            description="The limit value used for this request",
        ),
    ]
    offset: Annotated[int, Field(ge=0, description="The offset value used for this request")]


class BatchDetail(_Model):
    """The outcome for one batch entry (`components.schemas.BatchDetail`)."""

    url: Annotated[
        str,
        Field(
            description="The normalized URL (`added`, `duplicate`) or the input as sent (`error`)"
        ),
    ]
    status: Literal["added", "duplicate", "error"]
    error: Annotated[
        str | None,
        Field(
            description="Why the entry failed (only with status `error`)",
            exclude_if=lambda value: value is None,  # absent, as in the API, unless an error
        ),
    ] = None


class BatchResult(_Model):
    """Counts and per-entry details of a batch (`components.schemas.BatchResult`)."""

    added: Annotated[int, Field(ge=0, description="Number of URLs successfully added")]
    duplicates: Annotated[
        int, Field(ge=0, description="Number of URLs already on DNC list (skipped)")
    ]
    errors: Annotated[int, Field(ge=0, description="Number of URLs that failed to process")]
    details: Annotated[
        list[BatchDetail], Field(description="One item per request entry, in input order")
    ]


# ---- tool results -------------------------------------------------------------------------


class AddResult(_Model):
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


class DeleteResult(_Model):
    """What `dnc_delete` did. Only `status: deleted` means the entry is gone."""

    status: Annotated[
        Literal["deleted", "confirmation_required", "not_deleted"],
        Field(
            description=(
                "`deleted`: removed; `confirmation_required`: nothing deleted, a human must"
                " approve and the call be repeated with `confirmation_token`; `not_deleted`:"
                " the human declined or cancelled, nothing deleted"
            )
        ),
    ]
    entry_id: str
    url: Annotated[str | None, Field(description="The entry's URL, when it could be found")]
    message: str
    confirmation_token: Annotated[
        str | None,
        Field(description="Single-use token for this entry (only with confirmation_required)"),
    ] = None
    expires_at: Annotated[
        str | None, Field(description="ISO 8601 UTC expiry of confirmation_token")
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
