"""API errors and the one place that maps them to HTTP.

Every failure a client can see is an `ApiError` carrying its documented code and message;
`STATUS_BY_CODE` is the only mapping from code to HTTP status::

    ApiError
    ├── InvalidRequest       400 invalid_request     missing/ill-typed input, bad JSON, ranges
    ├── InvalidUrl           400 invalid_url         a url that is not a LinkedIn profile URL
    ├── Unauthorized         401 unauthorized        missing, malformed or unknown API key
    ├── ForbiddenEntry       403 unauthorized_dnc    another team's entry
    ├── InsufficientScope    403 insufficient_scope  a stored key without the operation's scope
    ├── EntryNotFound        404 dnc_not_found       unknown entry id
    ├── RouteNotFound        404 not_found           unknown path
    ├── MethodNotAllowed     405 method_not_allowed  known path, other method
    ├── EntryExists          409 dnc_entry_exists    URL already on the team's list
    ├── PayloadTooLarge      413 payload_too_large   body over the size limit
    ├── RateLimited          429 rate_limit_exceeded bucket exhausted (carries resetTime)
    ├── InternalError        500 internal_error      anything unexpected, never with details
    └── ServiceUnavailable   503 service_unavailable PostgreSQL or Redis unreachable (Retry-After)

Backends (storage, Redis) raise `ServiceUnavailable` themselves when their server cannot be
reached, so an outage is an envelope with Retry-After, never a 500 or a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reference_server.responses import ApiJSONResponse

__all__ = [
    "STATUS_BY_CODE",
    "ApiError",
    "EntryExists",
    "EntryNotFound",
    "ForbiddenEntry",
    "InsufficientScope",
    "InternalError",
    "InvalidRequest",
    "InvalidUrl",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "RateLimited",
    "RouteNotFound",
    "ServiceUnavailable",
    "Unauthorized",
    "error_response",
]

STATUS_BY_CODE: Mapping[str, int] = {
    "invalid_request": 400,
    "invalid_url": 400,
    "unauthorized": 401,
    "unauthorized_dnc": 403,
    "insufficient_scope": 403,
    "dnc_not_found": 404,
    "not_found": 404,
    "method_not_allowed": 405,
    "dnc_entry_exists": 409,
    "payload_too_large": 413,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
    "service_unavailable": 503,
}

URL_REQUIRED = "LinkedIn URL is required"
URL_INVALID = "Invalid LinkedIn URL format"
BODY_NOT_OBJECT = "Request body must be a JSON object"
ENTRIES_REQUIRED = "Entries array is required"
ENTRY_NEEDS_URL = "Each entry must have a url field"


class ApiError(Exception):
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "An internal error occurred"

    def __init__(self, message: str | None = None, *, headers: Mapping[str, str] | None = None):
        self.message = message or self.default_message
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


class InvalidRequest(ApiError):
    code = "invalid_request"
    default_message = "Invalid request"


class InvalidUrl(ApiError):
    code = "invalid_url"
    default_message = URL_INVALID


class Unauthorized(ApiError):
    code = "unauthorized"
    default_message = "Invalid or missing API key"

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": "Bearer"})


class ForbiddenEntry(ApiError):
    code = "unauthorized_dnc"
    default_message = "You do not have access to this DNC entry"


class InsufficientScope(ApiError):
    """The key is valid but lacks the operation's scope (openapi.yaml decision key-scopes);
    the challenge names the scope needed, as RFC 6750 §3.1 does."""

    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"This API key does not have the '{scope}' scope",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )
        self.scope = scope


class EntryNotFound(ApiError):
    code = "dnc_not_found"
    default_message = "DNC entry not found"


class RouteNotFound(ApiError):
    code = "not_found"
    default_message = "Not found"


class MethodNotAllowed(ApiError):
    code = "method_not_allowed"
    default_message = "Method not allowed"


class EntryExists(ApiError):
    code = "dnc_entry_exists"
    default_message = "URL already on DNC list"


class PayloadTooLarge(ApiError):
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds {limit} bytes")


class RateLimited(ApiError):
    code = "rate_limit_exceeded"
    default_message = "Too many requests. Please try again later."

    def __init__(self, reset_ms: int, headers: Mapping[str, str]) -> None:
        super().__init__(headers=headers)
        self.reset_ms = reset_ms

    def body(self) -> dict[str, Any]:
        return {**super().body(), "resetTime": self.reset_ms}


class InternalError(ApiError):
    code = "internal_error"


class ServiceUnavailable(ApiError):
    """A store the answer depends on is unreachable; nothing was changed (decision outages)."""

    code = "service_unavailable"
    default_message = "The service is temporarily unavailable. Please try again shortly."
    RETRY_AFTER_S = 1

    def __init__(self, dependency: str) -> None:
        super().__init__(headers={"Retry-After": str(self.RETRY_AFTER_S)})
        # For the server's log only: which store failed (never part of the response body).
        self.dependency = dependency


def error_response(
    error: ApiError, extra_headers: Mapping[str, str] | None = None
) -> ApiJSONResponse:
    """The error envelope, with the error's own headers winning over `extra_headers`."""
    headers = {**(extra_headers or {}), **error.headers}
    return ApiJSONResponse(error.body(), status_code=error.status, headers=headers)
