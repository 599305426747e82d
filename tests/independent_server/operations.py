"""The five operations, each split in two: `parse` (may await the body, raises ApiError for bad
input) and `run` (synchronous, so atomic on the event loop; runs only once the rate limiter
admitted the request). Validation therefore comes before the limiter in both variants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from .ids import new_id
from .inputs import query_values, read_json_object
from .normalize import is_blank, normalize_url
from .responses import ApiError
from .service import Caller, Service
from .store import DeleteOutcome
from .variants import Variant

__all__ = ["OPERATIONS", "Operation", "Outcome"]

URL_REQUIRED = "LinkedIn URL is required"
URL_INVALID = "Invalid LinkedIn URL format"
_INTEGER = re.compile(r"([+-]?)([0-9]+)")


@dataclass(frozen=True)
class Outcome:
    status: int
    data: Any
    message: str | None = None


@dataclass(frozen=True)
class Operation:
    name: str
    bucket: str
    parse: Callable[[Service, Request, str], Awaitable[Any]]
    """(service, request, path id) -> parsed input."""
    run: Callable[[Service, Caller, Any], Outcome]


def _url_error(code: str) -> ApiError:
    return ApiError(400, code, URL_REQUIRED if code == "invalid_request" else URL_INVALID)


# --- add ---------------------------------------------------------------------------------------


async def _parse_add(service: Service, request: Request, _id: str) -> str:
    variant = service.variant
    body = await read_json_object(request, variant)
    if "url" not in body:
        raise _url_error("invalid_request")
    value = body["url"]
    if not isinstance(value, str):
        raise _url_error(variant.nonstring_url_code)
    if is_blank(value, variant):
        raise _url_error(variant.empty_url_code)
    canonical = normalize_url(value, variant)
    if canonical is None:
        raise _url_error("invalid_url")
    return canonical


def _run_add(service: Service, caller: Caller, url: str) -> Outcome:
    service.cache.invalidate(caller.team_id)
    if service.store.find(caller.team_id, url) is not None:
        raise ApiError(409, "dnc_entry_exists", "URL already on DNC list")
    wall_ns = service.clock.wall_ns()
    entry = None
    while entry is None:
        entry = service.store.add(
            caller.team_id,
            url,
            new_id(service.variant.id_style, wall_ns, service.variant.id_length),
            wall_ns,
        )
    service.audit.record(
        caller.team_id, caller.api_key, "add", url, entry.id, service.timestamp(wall_ns)
    )
    return Outcome(201, service.show(entry), "Added to Do Not Contact list")


def _new_id(variant: Variant, wall_ns: int) -> str:
    return new_id(variant.id_style, wall_ns, variant.id_length)


# --- check -------------------------------------------------------------------------------------
# What an unreadable url is looked up as when the variant answers "not on the list" for it: no
# canonical URL can equal it.
UNREADABLE = "\0unreadable"


async def _parse_check(service: Service, request: Request, _id: str) -> str:
    variant = service.variant
    values = query_values(request, "url")
    if not values:
        raise _url_error("invalid_request")
    value = values[0] if variant.first_query_value_wins else values[-1]
    if is_blank(value, variant):
        raise _url_error(variant.empty_url_code)
    canonical = normalize_url(value, variant)
    if canonical is None:
        if variant.check_unreadable_not_listed:
            return UNREADABLE
        raise ApiError(400, variant.check_invalid_code, URL_INVALID)
    return canonical


def _run_check(service: Service, caller: Caller, url: str) -> Outcome:
    entry = None
    if url != UNREADABLE:
        entry = service.cache.lookup(
            caller.team_id, url, lambda: service.store.find(caller.team_id, url)
        )
    data = {"onList": entry is not None, "entry": None if entry is None else service.show(entry)}
    return Outcome(200, data, "DNC status checked" if service.variant.read_messages else None)


# --- list --------------------------------------------------------------------------------------


def _int_param(
    service: Service, request: Request, name: str, *, default: int, lo: int, hi: int
) -> int:
    variant = service.variant
    values = query_values(request, name)
    if not values:
        return default
    raw = values[0] if variant.first_query_value_wins else values[-1]
    if raw == "":
        return default
    match = _INTEGER.fullmatch(raw)
    if match is None:
        if variant.list_non_integer_is_error:
            raise ApiError(400, "invalid_request", f"{name} must be an integer")
        return default
    digits = match.group(2).lstrip("0") or "0"
    magnitude = hi + 1 if len(digits) > 30 else int(digits)
    value = -magnitude if match.group(1) == "-" else magnitude
    return min(max(value, lo), hi)


async def _parse_list(service: Service, request: Request, _id: str) -> tuple[int, int]:
    limit = _int_param(service, request, "limit", default=50, lo=1, hi=1000)
    offset = _int_param(service, request, "offset", default=0, lo=0, hi=service.variant.offset_max)
    return limit, offset


def _run_list(service: Service, caller: Caller, parsed: tuple[int, int]) -> Outcome:
    limit, offset = parsed
    entries = service.store.page(
        caller.team_id, limit, offset, ties_oldest_first=service.variant.ties_oldest_first
    )
    data = {
        "entries": [service.show(e) for e in entries],
        "total": len(entries),
        "limit": limit,
        "offset": offset,
    }
    return Outcome(200, data, "DNC entries listed" if service.variant.read_messages else None)


# --- batch -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BatchItem:
    shown: str
    """The input as sent (shown for `error`)."""
    url: str | None
    """The normalized URL, or None when the entry failed."""
    error: str | None = None


def _as_sent(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return "<not a string>"


def _batch_item(service: Service, value: Any) -> _BatchItem:
    variant = service.variant
    if not isinstance(value, str):
        return _BatchItem(_as_sent(value), None, variant.batch_nonstring_message)
    if is_blank(value, variant):
        return _BatchItem(value, None, URL_REQUIRED)
    canonical = normalize_url(value, variant)
    if canonical is None:
        return _BatchItem(value, None, URL_INVALID)
    return _BatchItem(value, canonical)


async def _parse_batch(service: Service, request: Request, _id: str) -> list[_BatchItem]:
    variant = service.variant
    body = await read_json_object(request, variant)
    entries = body.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ApiError(400, "invalid_request", "Entries array is required")
    if variant.batch_max is not None and len(entries) > variant.batch_max:
        raise ApiError(
            413, variant.batch_too_large_code, f"At most {variant.batch_max} entries per batch"
        )
    if any(not isinstance(e, dict) or "url" not in e for e in entries):
        raise ApiError(400, "invalid_request", "Each entry must have a url field")
    return [_batch_item(service, e["url"]) for e in entries]


def _run_batch(service: Service, caller: Caller, items: list[_BatchItem]) -> Outcome:
    variant = service.variant
    team = caller.team_id
    shared_ns = service.clock.wall_ns()
    seen: set[str] = set()
    details: list[dict[str, str]] = []
    added = duplicates = errors = 0
    for item in items:
        if item.url is None:
            errors += 1
            details.append({"url": item.shown, "status": "error", "error": item.error or ""})
            continue
        if item.url in seen or service.store.find(team, item.url) is not None:
            duplicates += 1
            details.append({"url": item.url, "status": "duplicate"})
            continue
        seen.add(item.url)
        wall_ns = shared_ns if variant.batch_shares_timestamp else service.clock.wall_ns()
        entry = None
        while entry is None:
            entry = service.store.add(
                team, item.url, new_id(variant.id_style, wall_ns, variant.id_length), wall_ns
            )
        service.audit.record(
            team, caller.api_key, "batch_add", item.url, entry.id, service.timestamp(wall_ns)
        )
        added += 1
        details.append({"url": item.url, "status": "added"})
    service.cache.invalidate(team)
    data = {"added": added, "duplicates": duplicates, "errors": errors, "details": details}
    message = f"Bulk import completed: {added} added, {duplicates} duplicates, {errors} errors"
    return Outcome(201, data, message)


# --- delete ------------------------------------------------------------------------------------


async def _parse_delete(service: Service, request: Request, entry_id: str) -> str:
    variant = service.variant
    if not variant.delete_id_pattern.fullmatch(entry_id):
        raise ApiError(400, variant.delete_bad_id_code, "Invalid DNC entry ID format")
    return entry_id


def _run_delete(service: Service, caller: Caller, entry_id: str) -> Outcome:
    service.cache.invalidate(caller.team_id)
    entry = service.store.find_by_id(entry_id)
    outcome = service.store.delete(caller.team_id, entry_id)
    if outcome is DeleteOutcome.NOT_FOUND:
        raise ApiError(404, "dnc_not_found", "DNC entry not found")
    if outcome is DeleteOutcome.OTHER_TEAM:
        raise ApiError(403, "unauthorized_dnc", "You do not have access to this DNC entry")
    url = entry.url if entry is not None else ""
    service.audit.record(
        caller.team_id,
        caller.api_key,
        "delete",
        url,
        entry_id,
        service.timestamp(service.clock.wall_ns()),
    )
    return Outcome(200, {"message": "DNC entry deleted successfully"})


OPERATIONS: dict[str, Operation] = {
    "add": Operation("add", "write", _parse_add, _run_add),
    "check": Operation("check", "read", _parse_check, _run_check),
    "list": Operation("list", "read", _parse_list, _run_list),
    "batch": Operation("batch", "batch", _parse_batch, _run_batch),
    "delete": Operation("delete", "write", _parse_delete, _run_delete),
}
