"""Normalization cases from `fixtures/normalization.json`, moved under the run prefix.

A case's input names real people (`in/john`); sending it verbatim to a real deployment could add
or reveal real entries. Each case is rewritten so that its slug starts with the run's prefix,
keeping the URL form around it (`LINKEDIN.COM/IN/JOHN` -> `LINKEDIN.COM/IN/<prefix>JOHN`), and
its expected value is rewritten the same way (`.../in/john` -> `.../in/<prefix>john`). The prefix
is lowercase ASCII, so every documented rule (lowercase, https, www, trailing slash, username
extraction) treats it as part of the username. Cases whose meaning the prefix would change (empty,
too short or too long usernames, `me`, member ids, dot segments) are not sent: "not measured".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from dnc_kit.resources import load_normalization_cases

MAX_SLUG = 100
# The first `in/` path segment: at the start, or after a `/`, before any `?` or `#`.
_IN_SEGMENT = re.compile(r"(?:^|/)in/", re.IGNORECASE)
_CANONICAL = "https://linkedin.com/in/"


@dataclass(frozen=True)
class NormCase:
    original: str
    input: str  # what is sent (under the run prefix)
    expected: str | None  # canonical URL under the run prefix, or None: must be rejected
    documented: bool
    note: str

    @property
    def label(self) -> str:
        return f"{self.original!r} ({self.note})"


@dataclass(frozen=True)
class Skipped:
    original: str
    documented: bool
    reason: str


def _slug_position(text: str) -> int | None:
    end = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=len(text))
    match = _IN_SEGMENT.search(text, 0, end)
    return match.end() if match else None


def _raw_slug(text: str, pos: int) -> str:
    match = re.match(r"[^/?#]*", text[pos:])
    return match.group(0) if match else ""


def _prefix_changes_meaning(raw: str) -> str | None:
    decoded = unquote(raw).strip()
    if len(decoded) < 3:
        return "username shorter than 3 characters"
    if decoded.lower() == "me":
        return "the /in/me alias"
    if decoded.startswith(("ACoAA", "ACwAA")):
        return "a case-sensitive member id"
    if set(decoded) <= {"."}:
        return "a dot segment"
    if unicodedata.combining(unicodedata.normalize("NFD", decoded[:1])[:1] or " "):
        return "starts with a combining mark"
    return None


def transform(case: dict[str, Any], prefix: str) -> NormCase | Skipped:
    """Move one fixture case under the run prefix, or say why that would change its meaning."""
    original: str = case["input"]
    expected: str | None = case["expected"]
    documented = case["source"] == "documented"
    note = str(case.get("note", ""))
    if not original.strip():
        return Skipped(original, documented, "empty value (checked by the empty-url tests)")
    pos = _slug_position(original)
    if pos is None:
        if expected is not None:
            return Skipped(original, documented, "no /in/ segment to move under the prefix")
        if "/" in original or ":" in original:
            # e.g. https://linkedin.com/company/acme: nowhere to put the prefix without changing
            # the reason it is rejected.
            return Skipped(original, documented, "no username to move under the prefix")
        return NormCase(original, prefix + original, None, documented, note)
    raw = _raw_slug(original, pos)
    problem = _prefix_changes_meaning(raw)
    if problem is not None:
        return Skipped(original, documented, problem)
    new_input = original[:pos] + prefix + original[pos:]
    new_expected: str | None = None
    if expected is not None:
        slug = expected.removeprefix(_CANONICAL)
        if len(slug) + len(prefix) > MAX_SLUG:
            return Skipped(original, documented, "prefixed username would exceed 100 characters")
        new_expected = _CANONICAL + prefix + slug
    elif len(unquote(raw)) + len(prefix) > MAX_SLUG >= len(unquote(raw)):
        return Skipped(original, documented, "prefixed username would exceed 100 characters")
    return NormCase(original, new_input, new_expected, documented, note)


def normalization_cases(prefix: str) -> tuple[list[NormCase], list[Skipped]]:
    cases: list[NormCase] = []
    skipped: list[Skipped] = []
    for raw in load_normalization_cases():
        result = transform(raw, prefix)
        (cases if isinstance(result, NormCase) else skipped).append(result)  # type: ignore[arg-type]
    return cases, skipped
