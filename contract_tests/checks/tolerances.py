"""Where a Schemathesis check meets a choice the seed pages leave open.

`openapi.yaml` states dnc-kit's own decisions strictly (e.g. the url `pattern`, 400 for an
out-of-range list limit), so Schemathesis' checks judge an implementation by them. Another
implementation may decide differently where the pages are silent (`x-dnc-decisions`,
`others-may`). Each row below names the check, the decision id and the exact situation; a
failure matching a row is reported as a warning (a failure only with --strict), every other
failure breaks the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract_tests.checks.generated_input import Input, Pairs, classify, pairs_of

# Statuses another implementation may use for input the pages do not mention.
OTHER_4XX = frozenset({400, 404, 405, 411, 413, 414, 415, 422, 431})
# The four documented url forms (any letter case) with a plain username.
_DOCUMENTED_FORM = re.compile(
    r"(?:(?:https://)?(?:www\.)?linkedin\.com/in/|in/)[a-z0-9-]{3,100}/?", re.IGNORECASE
)


@dataclass(frozen=True)
class Seen:
    """One check failure on one answer, with what is needed to place it."""

    check: str
    operation_id: str
    mode: str  # "positive" or "negative"
    status: int
    case: Any
    answer: Any  # the parsed JSON body, or None
    message: str
    sent_query: Pairs | None = None  # the query as sent (None: the case's own)

    def _query(self) -> Pairs:
        return self.sent_query if self.sent_query is not None else pairs_of(self.case.query)

    @property
    def input(self) -> Input:
        """What the pages say about the input that was sent (see generated_input.py)."""
        return classify(self.operation_id, self._query(), self.case.body)

    @property
    def url(self) -> Any:
        """The url the request carried (add: body, check: query), or None."""
        if self.operation_id == "addDncEntry":
            body = self.case.body
            return body.get("url") if isinstance(body, dict) else None
        if self.operation_id == "checkDncStatus":
            urls = [value for name, value in self._query() if name == "url"]
            return urls[0] if len(urls) == 1 else None
        return None

    @property
    def on_list(self) -> Any:
        data = self.answer.get("data") if isinstance(self.answer, dict) else None
        return data.get("onList") if isinstance(data, dict) else None


def documented_form(url: Any) -> bool:
    return isinstance(url, str) and _DOCUMENTED_FORM.fullmatch(url) is not None


def _accepted_open(seen: Seen, decision: str) -> bool:
    """A schema-invalid request accepted where the pages require no refusal, and the choice
    left open is `decision`."""
    found = seen.input
    return found.open and found.decision == decision


@dataclass(frozen=True)
class Tolerance:
    check: str
    decision: str  # an id of openapi.yaml info.x-dnc-decisions
    situation: str
    applies: Callable[[Seen], bool]


TOLERANCES: tuple[Tolerance, ...] = (
    # -- status_code_conformance ---------------------------------------------------------------
    Tolerance(
        "status_code_conformance",
        "invalid-input-status",
        "a generated invalid request answered with another 4xx",
        lambda s: s.mode == "negative" and s.status in OTHER_4XX,
    ),
    Tolerance(
        "status_code_conformance",
        "body-size",
        "413 for a large body",
        lambda s: s.status == 413,
    ),
    Tolerance(
        "status_code_conformance",
        "url-length",
        "414 or 431 for a long url or header",
        lambda s: s.status in (414, 431),
    ),
    Tolerance(
        "status_code_conformance",
        "delete-id-format",
        "400 for an id the server will not look up",
        lambda s: s.operation_id == "deleteDncEntry" and s.status == 400,
    ),
    # -- response_schema_conformance -----------------------------------------------------------
    Tolerance(
        "response_schema_conformance",
        "invalid-input-status",
        "another error code in a 400 (the documented codes have their own tests)",
        lambda s: s.status == 400,
    ),
    Tolerance(
        "response_schema_conformance",
        "unknown-route",
        "a malformed id that misses the delete route: 404 with another code",
        lambda s: s.operation_id == "deleteDncEntry" and s.status == 404 and s.mode == "negative",
    ),
    Tolerance(
        "response_schema_conformance",
        "body-size",
        "another code in a 413",
        lambda s: s.status == 413,
    ),
    # -- negative_data_rejection (a generated invalid request was accepted) ---------------------
    # Only input the pages themselves call invalid must be refused (generated_input.py); every
    # other schema-invalid request meets a decision with alternatives, named here.
    Tolerance(
        "negative_data_rejection",
        "repeated-params",
        "a query parameter given more than once read as one of its values",
        lambda s: _accepted_open(s, "repeated-params"),
    ),
    Tolerance(
        "negative_data_rejection",
        "list-range",
        "an out-of-range, empty or non-integer limit/offset clamped instead of refused",
        lambda s: _accepted_open(s, "list-range"),
    ),
    Tolerance(
        "negative_data_rejection",
        "check-invalid-url",
        "an unreadable url checked as onList false instead of refused",
        lambda s: _accepted_open(s, "check-invalid-url") and s.on_list is False,
    ),
    Tolerance(
        "negative_data_rejection",
        "url-pattern",
        "a LinkedIn URL form outside dnc-kit's pattern accepted",
        lambda s: _accepted_open(s, "url-pattern"),
    ),
    Tolerance(
        "negative_data_rejection",
        "batch-entry-shape",
        "a batch with a malformed entry answered 201 with per-entry errors (checked by the "
        "suite's own batch-entry test)",
        lambda s: _accepted_open(s, "batch-entry-shape"),
    ),
    Tolerance(
        "negative_data_rejection",
        "delete-id-format",
        "a delete id of another format looked up instead of refused",
        lambda s: _accepted_open(s, "delete-id-format"),
    ),
    Tolerance(
        "negative_data_rejection",
        "invalid-input-status",
        "input the pages do not mention (wrong JSON types, values outside a schema bound) accepted",
        lambda s: _accepted_open(s, "invalid-input-status"),
    ),
    # -- positive_data_acceptance (a request valid by the schema was refused) -------------------
    Tolerance(
        "positive_data_acceptance",
        "url-pattern",
        "a url in a form the pages do not document refused with 400",
        lambda s: (
            s.operation_id in ("addDncEntry", "checkDncStatus")
            and s.status == 400
            and not documented_form(s.url)
        ),
    ),
    Tolerance(
        "positive_data_acceptance",
        "delete-id-format",
        "400 for a well-formed id the server will not look up (e.g. a length limit)",
        lambda s: s.operation_id == "deleteDncEntry" and s.status == 400,
    ),
    Tolerance(
        "positive_data_acceptance",
        "body-size",
        "413 for a large body",
        lambda s: s.status == 413,
    ),
    Tolerance(
        "positive_data_acceptance",
        "url-length",
        "414 or 431 for a long url",
        lambda s: s.status in (414, 431),
    ),
    # -- methods the spec does not declare ------------------------------------------------------
    Tolerance(
        "unsupported_method",
        "unknown-route",
        "an undeclared method answered with another error status (a 405 must still carry Allow)",
        lambda s: s.status != 405,
    ),
    Tolerance(
        "allow_header_conformance",
        "unknown-route",
        "an OPTIONS answer whose Allow lists other methods than the spec declares",
        lambda s: True,
    ),
    # -- headers: every response header in openapi.yaml is a dnc-kit decision -----------------
    Tolerance(
        "response_headers_conformance",
        "rate-limit-headers",
        "rate-limit headers of another form, or none",
        lambda s: "www-authenticate" not in s.message.lower(),
    ),
    Tolerance(
        "response_headers_conformance",
        "auth-header",
        "a WWW-Authenticate header of another form",
        lambda s: "www-authenticate" in s.message.lower(),
    ),
)


def tolerance_for(seen: Seen) -> Tolerance | None:
    for tolerance in TOLERANCES:
        if tolerance.check == seen.check and tolerance.applies(seen):
            return tolerance
    return None
