"""Schemathesis' own checks, run on every answer to a generated request (next to the suite's
semantic checks), and the reasons the remaining ones do not run.

Each check runs on its own (`case.validate_response(response, checks=[check])`) so that every
failure is known by the check that raised it; the tolerance table (`tolerances.py`) then decides
whether it breaks a documented behaviour (a failure) or another implementation's legal choice
(a warning naming the `x-dnc-decisions` id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every check Schemathesis 4.32 registers that can judge this API's answers, in report order.
RUN: tuple[str, ...] = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)


@dataclass(frozen=True)
class NotRun:
    name: str
    reason: str
    decision: str | None = None


NOT_RUN: tuple[NotRun, ...] = (
    # The pages give typical times, never a limit (decision response-time).
    NotRun(
        "max_response_time",
        "the pages quote typical response times, not limits; requests only time out "
        "(30 s, batches following the documented 10-20 entries per second)",
        decision="response-time",
    ),
    # Not a switch-off: this check compares objects that Schemathesis' engine drew from its
    # resource pool across identities configured with `[auth.wfc]`; the suite generates cases
    # itself (to keep them safe and paced), so the check would never see such a draw. Team
    # isolation is measured by the suite's own isolation tests, in both directions.
    NotRun(
        "object_level_authorization",
        "needs Schemathesis' engine resource pool with [auth.wfc] identities; object-level "
        "authorization is measured by the isolation tests for both teams instead",
    ),
)


def check_function(name: str) -> Any:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return CHECKS.get_one(name)


def registered_names() -> list[str]:
    """Every check the installed Schemathesis registers (for the test that none is forgotten)."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return list(CHECKS.get_all_names())


@dataclass(frozen=True)
class CheckFailure:
    check: str
    code: str
    title: str
    message: str


def run_check(
    name: str, case: Any, response: Any, transport_kwargs: dict[str, Any], recorder: Any = None
) -> list[CheckFailure]:
    """Run one Schemathesis check on one answer; the failures it reports (none: it passed)."""
    from schemathesis.core.failures import Failure, FailureGroup

    try:
        case.validate_response(
            response,
            checks=[check_function(name)],
            transport_kwargs=transport_kwargs,
            recorder=recorder,
        )
    except FailureGroup as group:
        failures: list[Any] = list(group.exceptions)
    except Failure as failure:
        failures = [failure]
    else:
        return []
    return [
        CheckFailure(name, str(getattr(f, "code", "")), str(f.title), str(f.message))
        for f in failures
    ]


# What each check requires, in the words of the pages or the spec (quoted by its failures).
REQUIRES: dict[str, str] = {
    "not_a_server_error": (
        "no 5xx for any request: bad input gets a 4xx in the error envelope (every page, "
        '"Error Responses"; a 500 is only "An internal error occurred")'
    ),
    "status_code_conformance": "every status is one openapi.yaml documents for the operation",
    "content_type_conformance": "answers are JSON (application/json), as every page shows",
    "response_headers_conformance": (
        "response headers match openapi.yaml (all of them dnc-kit decisions: warnings only)"
    ),
    "response_schema_conformance": (
        "bodies match the documented schema of their status (the pages' Response Format and "
        "Response Fields, restated in openapi.yaml)"
    ),
    "negative_data_rejection": "a request the schema calls invalid is refused with a 4xx",
    "positive_data_acceptance": (
        "a request the schema calls valid is accepted (2xx, or the documented 404/409)"
    ),
    "missing_required_header": (
        'a request without Authorization answers 401 ("401 Unauthorized - Invalid API Key")'
    ),
    "unsupported_method": (
        "a method the path does not have answers 405 with an Allow header (RFC 9110; decision "
        "unknown-route)"
    ),
    "allow_header_conformance": "Allow lists the methods openapi.yaml declares for the path",
    "use_after_free": '"Permanent Deletion: Once deleted, the entry is permanently removed"',
    "ensure_resource_availability": "an entry just created is there: its $id deletes it",
    "ignored_auth": (
        'without a key or with an invalid key nothing is served: 401 "unauthorized" '
        '("Invalid or missing API key")'
    ),
    "answered": "every request gets an answer (no dropped connection, no hang)",
    "envelope": (
        'every answer is {"error": null, "data": ...} or {"error": "<code>", "message": "..."}'
    ),
    "documented_invalid_refused": (
        '"400 Bad Request - Missing URL", "Missing Entries Array", "Empty Entries Array", '
        '"Invalid Entry Format: Each entry must have a url field"'
    ),
    "batch_entry_shape": (
        "a batch entry whose url is not a string: 400 invalid_request, or 201 with that entry "
        "an error (decision batch-entry-shape)"
    ),
}
