"""Assertions shared by every category."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_tests import seeds
from contract_tests.client import Exchange


class ContractViolation(AssertionError):
    """A broken requirement, with the exchanges that show it (the verdict's evidence)."""

    def __init__(self, message: str, exchanges: Sequence[Exchange] = ()) -> None:
        super().__init__(message)
        self.exchanges = list(exchanges)


def fail(what: str, exchange: Exchange | None, seed: str) -> ContractViolation:
    parts = [what]
    if exchange is not None:
        parts.append(exchange.describe())
    parts.append(f"  documented: {seed}")
    return ContractViolation("\n".join(parts), [exchange] if exchange is not None else [])


def envelope_problem(ex: Exchange) -> str | None:
    """Why this answer breaks the documented envelope, or None."""
    body = ex.body
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if 200 <= ex.status < 300:
        if "error" not in body or body["error"] is not None:
            return 'a success body must carry "error": null'
        if "data" not in body or body["data"] is None:
            return 'a success body must carry "data"'
        if "message" in body and not isinstance(body["message"], str):
            return '"message" must be a string'
        return None
    if ex.status >= 400:
        code, message = body.get("error"), body.get("message")
        if not isinstance(code, str) or not code:
            return 'an error body must carry an "error" code string'
        if not isinstance(message, str) or not message:
            return 'an error body must carry a "message" string'
    return None


def envelope_conformance(ex: Exchange) -> None:
    problem = envelope_problem(ex)
    if problem is not None:
        seed = seeds.ENVELOPE_SUCCESS if 200 <= ex.status < 300 else seeds.ENVELOPE_ERROR
        raise fail(f"Envelope broken: {problem}.", ex, seed)


def expect_status(ex: Exchange, status: int, seed: str, what: str = "") -> None:
    if ex.status != status:
        raise fail(f"{what or 'Wrong status'}: expected HTTP {status}, got {ex.status}.", ex, seed)
    envelope_conformance(ex)


def expect_error(
    ex: Exchange, status: int, code: str | tuple[str, ...], seed: str, what: str = ""
) -> None:
    codes = (code,) if isinstance(code, str) else code
    if ex.status != status or ex.error not in codes:
        shown = " or ".join(repr(c) for c in codes)
        raise fail(
            f"{what or 'Wrong error answer'}: expected HTTP {status} with error {shown}, got "
            f"{ex.status} "
            f"error {ex.error!r}.",
            ex,
            seed,
        )
    envelope_conformance(ex)


def on_list(ex: Exchange) -> bool | None:
    """A 200 check answer's onList, or None when the answer carries none."""
    if ex.status != 200 or not isinstance(ex.data, dict):
        return None
    value = ex.data.get("onList")
    return value if isinstance(value, bool) else None


def data_dict(ex: Exchange, seed: str) -> dict[str, Any]:
    data = ex.data
    if not isinstance(data, dict):
        raise fail('Expected "data" to be an object.', ex, seed)
    return data


ENTRY_KEYS = ("$id", "teamId", "url", "$createdAt", "$updatedAt")


def entry_shape_problem(entry: Any) -> str | None:
    import re
    from datetime import datetime

    if not isinstance(entry, dict):
        return "the entry is not an object"
    missing = [k for k in ENTRY_KEYS if k not in entry]
    if missing:
        return f"the entry lacks {', '.join(missing)}"
    if not isinstance(entry["$id"], str) or not re.fullmatch(r"dnc_[A-Za-z0-9]+", entry["$id"]):
        return f"$id {entry['$id']!r} is not of the form dnc_[alphanumeric]"
    if not isinstance(entry["teamId"], str) or not entry["teamId"]:
        return "teamId must be a non-empty string"
    for key in ("$createdAt", "$updatedAt"):
        value = entry[key]
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return f"{key} {value!r} is not an ISO 8601 timestamp"
    return None


def entry_conformance(ex: Exchange, entry: Any, seed: str = seeds.ADD_201) -> dict[str, Any]:
    problem = entry_shape_problem(entry)
    if problem is not None:
        raise fail(f"Entry shape broken: {problem}.", ex, seed)
    assert isinstance(entry, dict)
    return entry
