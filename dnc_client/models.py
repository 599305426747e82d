"""Typed models of the API's data, mirroring openapi.yaml components.

They keep the spec's wire names (`$id`, `teamId`, `onList`, ...) as aliases, take their patterns
and bounds from `dnc_kit.contract`, and tests/dnc_client/test_models_match_spec.py fails if their
JSON schemas drift from the components they mirror. Models are frozen: an answer is a value.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dnc_kit.contract import ENTRY_ID_PATTERN, LIST_LIMIT_MAX, LIST_LIMIT_MIN

__all__ = [
    "BatchDetail",
    "BatchResult",
    "CheckResult",
    "DncEntry",
    "ListPage",
    "WireModel",
]

_NORMALIZED_URL_PATTERN = r"^https://linkedin\.com/in/[^/?#\s]+$"


class WireModel(BaseModel):
    """Base of the API models: wire names as aliases, Python names accepted too, frozen."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True, frozen=True
    )


class DncEntry(WireModel):
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


class CheckResult(WireModel):
    """Whether a URL is on the list (`components.schemas.CheckResult`)."""

    on_list: Annotated[
        bool,
        Field(alias="onList", description="true if URL is on DNC list, false otherwise"),
    ]
    entry: Annotated[
        DncEntry | None,
        Field(description="Full DNC entry details if found, null if not on list"),
    ]


class ListPage(WireModel):
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


class BatchDetail(WireModel):
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


class BatchResult(WireModel):
    """Counts and per-entry details of a batch (`components.schemas.BatchResult`)."""

    added: Annotated[int, Field(ge=0, description="Number of URLs successfully added")]
    duplicates: Annotated[
        int, Field(ge=0, description="Number of URLs already on DNC list (skipped)")
    ]
    errors: Annotated[int, Field(ge=0, description="Number of URLs that failed to process")]
    details: Annotated[
        list[BatchDetail], Field(description="One item per request entry, in input order")
    ]
