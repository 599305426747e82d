"""dnc_client: a typed Python client for any deployment of the DNC list API (openapi.yaml).

    from dnc_client import DncClient

    with DncClient("https://api.example.com/v1", api_key) as dnc:
        if dnc.check("linkedin.com/in/someone").on_list:
            ...

`DncClient` blocks; `AsyncDncClient` is the same client for asyncio/anyio. Both pace requests
under the documented per-team rate limits, wait out a 429 until its `resetTime` (bounded by
`max_wait_s`), and resend only what is safe to repeat. Every error answer raises from one tree
(`DncError`, see `dnc_client.errors`).

Bulk helpers, with progress callbacks: `iter_entries()` / `snapshot()` (the whole list,
consistent under concurrent writers: `dnc_client.snapshot`), `check_many(urls)` (a snapshot
matched locally or per-URL checks, by cost; never "not listed" for an error:
`dnc_client.bulk`) and `add_many(urls)` (chunked, paced batches).

Spellings in bulk checks: the four documented forms are matched against the snapshot
directly. Any other spelling (`http://`, `?utm_...`/`?trk=` share links, `uk.`/`m.` hosts,
`/details/...` sub-pages, padding) is grouped by shape, and the client asks the deployment
about two listed URLs respelled in that shape; only when both come back listed with the
snapshot's own `$id` are the other URLs of that shape matched locally (`dnc_client.shapes`).
So a mixed export costs the snapshot plus two checks per shape, not one check per URL.

Bulk runs use at most `bulk_share` (default 0.8) of each rate-limit bucket, so an agent's single
check of the same team is still answered at once. A refused key (401/403) or an API that cannot
be reached (`DncUnreachableError`, after a bounded retry of under 20 s) ends a bulk run with
that error instead of failing every URL one by one.
"""

from dnc_client import operations
from dnc_client.async_client import DEFAULT_BULK_SHARE, AsyncDncClient
from dnc_client.bulk import AddOutcome, CheckOutcome
from dnc_client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DncApiError,
    DncConnectionError,
    DncError,
    DncUnreachableError,
    InconsistentSnapshotError,
    InternalServerError,
    InvalidUrlError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
)
from dnc_client.models import (
    BatchDetail,
    BatchResult,
    CheckResult,
    DncEntry,
    ListPage,
    WireModel,
)
from dnc_client.normalize import CANONICAL_PREFIX, documented_key
from dnc_client.operations import Operation
from dnc_client.pacing import Clock, PacingState, PacingStates, Sleep
from dnc_client.progress import BulkProgress, ProgressCallback
from dnc_client.retry import DEFAULT_MAX_WAIT_S
from dnc_client.sync_client import DncClient

__all__ = [
    "CANONICAL_PREFIX",
    "DEFAULT_BULK_SHARE",
    "DEFAULT_MAX_WAIT_S",
    "AddOutcome",
    "AsyncDncClient",
    "AuthenticationError",
    "BadRequestError",
    "BatchDetail",
    "BatchResult",
    "BulkProgress",
    "CheckOutcome",
    "CheckResult",
    "Clock",
    "ConflictError",
    "DncApiError",
    "DncClient",
    "DncConnectionError",
    "DncEntry",
    "DncError",
    "DncUnreachableError",
    "InconsistentSnapshotError",
    "InternalServerError",
    "InvalidUrlError",
    "ListPage",
    "NotFoundError",
    "Operation",
    "PacingState",
    "PacingStates",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProgressCallback",
    "RateLimitError",
    "Sleep",
    "WireModel",
    "documented_key",
    "operations",
]
