"""HTTP endpoints: authenticate, admit through the rate limiter, then parse and validate.

`operation()` wraps each handler so the order auth -> scope -> rate limit -> validation holds
for every route, and every response that went through the limiter (errors included) carries the
X-RateLimit-* headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dnc_kit.contract import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, LIST_LIMIT_MIN, LIST_OFFSET_MAX
from reference_server.auth import Principal
from reference_server.errors import (
    BODY_NOT_OBJECT,
    ApiError,
    InvalidRequest,
    PayloadTooLarge,
    error_response,
)
from reference_server.responses import ApiJSONResponse, success
from reference_server.scopes import OPERATION_SCOPES
from reference_server.service import DncService

__all__ = ["Handler", "check_endpoint", "check_response", "operation"]

Handler = Callable[[DncService, Principal, Request], Awaitable[Response]]

_DIGITS = re.compile(r"[0-9]+")


def service_of(request: Request) -> DncService:
    service: DncService = request.app.state.service
    return service


def operation(operation_id: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    scope = OPERATION_SCOPES[operation_id]

    async def endpoint(request: Request) -> Response:
        service = service_of(request)
        try:
            principal = await service.auth.authenticate(request.headers.get("authorization"))
            request.state.principal = principal
            # Before the limiter: a refused operation spends none of the team's budget.
            principal.require(scope)
            decision = await service.admit(principal, operation_id)
        except ApiError as error:
            return error_response(error)
        rate_headers = decision.headers()
        try:
            response = await handler(service, principal, request)
        except ApiError as error:
            return error_response(error, rate_headers)
        return _with_rate_headers(response, rate_headers)

    endpoint.__name__ = operation_id
    return endpoint


def _with_rate_headers(response: Response, rate_headers: dict[str, str]) -> Response:
    # Appended as raw headers: none of them is set yet, and MutableHeaders.update would
    # rescan the header list for each one (measurable on the check's hot path).
    response.raw_headers.extend(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in rate_headers.items()
    )
    return response


CHECK_SCOPE = OPERATION_SCOPES["checkDncStatus"]
# The answer most checks give, rendered once by `success` itself (so byte for byte the same):
# rendering it per request was a tenth of the direct check's own CPU.
_NOT_LISTED_BODY = bytes(success({"onList": False, "entry": None}).body)


async def check_response(
    service: DncService,
    authorization: str | None,
    url_value: str | None,
    state: dict[str, Any],
) -> Response:
    """The check, whichever way it came in (`check_route.DirectCheck` or `check_endpoint`).

    `operation("checkDncStatus", ...)` with admission and the cache lookup in one call: same
    order (auth, rate limit, then validation), same headers. The principal goes into the
    request's `state` for the access log.
    """
    try:
        principal = await service.auth.authenticate(authorization)
        state["principal"] = principal
        principal.require(CHECK_SCOPE)
        ticket = await service.admit_check(principal, url_value)
    except ApiError as error:
        return error_response(error)
    rate_headers = ticket.decision.headers()
    try:
        entry = await service.answer_check(principal, ticket)
    except ApiError as error:
        return error_response(error, rate_headers)
    response: Response
    if entry is None:
        response = Response(_NOT_LISTED_BODY, media_type=ApiJSONResponse.media_type)
    else:
        response = success({"onList": True, "entry": entry.to_json()})
    return _with_rate_headers(response, rate_headers)


async def check_endpoint(request: Request) -> Response:
    """The Starlette route of the check: HEAD, and GET under a root_path."""
    return await check_response(
        service_of(request),
        request.headers.get("authorization"),
        request.query_params.get("url"),
        request.scope.setdefault("state", {}),
    )


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """Read at most `max_bytes` of body (never buffering more) and parse a JSON object."""
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(max_bytes)
        chunks.append(chunk)
    try:
        # Strict UTF-8 first: json.loads(bytes) would also guess UTF-16/32.
        parsed = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest(BODY_NOT_OBJECT) from None
    if not isinstance(parsed, dict):
        raise InvalidRequest(BODY_NOT_OBJECT)
    return parsed


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if _DIGITS.fullmatch(raw):
        # Leading zeros are harmless; a value with more digits than `high` is out of range
        # without converting it (int() of thousands of digits is slow, then raises).
        digits = raw.lstrip("0") or "0"
        if len(digits) <= len(str(high)) and low <= int(digits) <= high:
            return int(digits)
    raise InvalidRequest(f"{name} must be an integer from {low} to {high}")


async def add_entry(service: DncService, principal: Principal, request: Request) -> Response:
    body = await read_json_object(request, service.settings.max_body_bytes)
    entry = await service.add(principal, body.get("url"))
    return success(entry.to_json(), 201, "Added to Do Not Contact list")


async def add_batch(service: DncService, principal: Principal, request: Request) -> Response:
    body = await read_json_object(request, service.settings.max_body_bytes)
    result = await service.add_batch(principal, body.get("entries"))
    return success(result.to_json(), 201, result.message)


async def list_entries(service: DncService, principal: Principal, request: Request) -> Response:
    limit = int_param(request, "limit", LIST_LIMIT_DEFAULT, LIST_LIMIT_MIN, LIST_LIMIT_MAX)
    offset = int_param(request, "offset", 0, 0, LIST_OFFSET_MAX)
    entries = await service.list_entries(principal, limit, offset)
    page = {
        # Documented quirk: `total` counts this page, not the whole list.
        "entries": [entry.to_json() for entry in entries],
        "total": len(entries),
        "limit": limit,
        "offset": offset,
    }
    return success(page)


async def delete_entry(service: DncService, principal: Principal, request: Request) -> Response:
    await service.delete(principal, request.path_params["id"])
    return success({"message": "DNC entry deleted successfully"})
