"""What the pages say about one generated request's input: must it be refused, or is the answer
a choice they leave open (and which decision of openapi.yaml names that choice)?

Schemathesis calls a request "negative" when it breaks `openapi.yaml`, which states dnc-kit's
own decisions strictly. Only a few inputs are invalid by the pages themselves (a missing url,
a url that is not a LinkedIn profile on add, a batch without entries or with an entry without
a url): an implementation must refuse those. Every other schema-invalid input (a repeated or
empty parameter, an out-of-range or oddly typed value, an unreadable url on check, an id of
another format) meets a decision with alternatives; accepting it is never a failure.

The classification reads what was actually sent (the query string as it left the gate), not
the generated case, so a repeated parameter (`url=null&url=null`) is never mistaken for a
missing one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Pairs = Sequence[tuple[str, str]]
# A string that at least names LinkedIn or an `in/` path (a form the pattern may not list).
_LINKEDIN_LIKE = re.compile(r"linkedin\.com|(?:^|[/\s])in/", re.IGNORECASE)
_BLANK = " \t\r\n"


@dataclass(frozen=True)
class Input:
    """`refuse`: why the pages require a 4xx (None: they do not); `decision`: the x-dnc-decisions
    id whose alternatives make accepting it a legal choice (None when refusal is required)."""

    refuse: str | None
    decision: str | None
    repeated: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.refuse is None


def linkedin_like(url: Any) -> bool:
    return isinstance(url, str) and bool(url.strip()) and _LINKEDIN_LIKE.search(url) is not None


def pairs_of(query: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """A generated case's query as the (name, value) pairs `requests` would send: lists are
    repeated parameters, None values are left out."""
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        values: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, _text(v)) for v in values if v is not None]
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def classify(operation_id: str, query: Pairs, body: Any) -> Input:
    names = [name for name, _ in query]
    repeated = tuple(sorted({n for n in names if names.count(n) > 1}))
    if operation_id == "checkDncStatus":
        return _check([v for n, v in query if n == "url"], repeated)
    if operation_id == "addDncEntry":
        return _add(body, repeated)
    if operation_id == "addDncEntriesBatch":
        return _batch(body, repeated)
    if repeated:
        return Input(None, "repeated-params", repeated)
    if operation_id == "listDncEntries":
        return Input(None, "list-range")
    if operation_id == "deleteDncEntry":
        return Input(None, "delete-id-format")
    return Input(None, "invalid-input-status")


def _check(urls: list[str], repeated: tuple[str, ...]) -> Input:
    if not urls:
        return Input('missing url ("LinkedIn URL is required")', None, repeated)
    if len(urls) > 1:
        return Input(None, "repeated-params", repeated)
    if not urls[0].strip(_BLANK):
        return Input("an empty url (decision empty-url: every choice is a 400)", None, repeated)
    if linkedin_like(urls[0]):
        return Input(None, "url-pattern", repeated)
    return Input(None, "check-invalid-url", repeated)


def _add(body: Any, repeated: tuple[str, ...]) -> Input:
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.strip(_BLANK):
        return Input(
            'missing, empty or non-string url ("LinkedIn URL is required"; decision empty-url)',
            None,
            repeated,
        )
    if not linkedin_like(url):
        return Input('a url that is not a LinkedIn profile ("Invalid URL Format")', None, repeated)
    return Input(None, "url-pattern" if not repeated else "repeated-params", repeated)


def _batch(body: Any, repeated: tuple[str, ...]) -> Input:
    entries = body.get("entries") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        return Input("missing or empty entries", None, repeated)
    if not all(isinstance(e, dict) and "url" in e for e in entries):
        return Input('an entry without a url field ("Each entry must have a url field")', None)
    return Input(None, "batch-entry-shape", repeated)
