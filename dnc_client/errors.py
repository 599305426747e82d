"""Everything that can go wrong talking to a DNC API, as one exception tree.

    DncError                         base; never carries the API key
    ├── DncConnectionError           no answer: connection refused, timeout, broken response
    │   └── DncUnreachableError      no connection at all, after a short bounded retry
    ├── InconsistentSnapshotError    the list changed under a snapshot beyond repair
    └── DncApiError                  the API answered with an error status (status, code, message)
        ├── BadRequestError          400 (`invalid_request`)
        │   └── InvalidUrlError      400 `invalid_url`: not a LinkedIn profile URL
        ├── AuthenticationError      401 `unauthorized`: missing or invalid API key
        ├── PermissionDeniedError    403: another team's entry (`unauthorized_dnc`), or a key
        │                            without the operation's scope (`insufficient_scope`)
        ├── NotFoundError            404 `dnc_not_found` (or an unknown route)
        ├── ConflictError            409 `dnc_entry_exists`: already on the list
        ├── PayloadTooLargeError     413 `payload_too_large`
        ├── RateLimitError           429 `rate_limit_exceeded`, with `reset_at` (epoch seconds)
        └── InternalServerError      5xx

`error_from_response` is the only place where an HTTP status becomes an exception class. Every
client of this package (the MCP server, the human CLI, your code) catches these classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DncApiError",
    "DncConnectionError",
    "DncError",
    "DncUnreachableError",
    "InconsistentSnapshotError",
    "InternalServerError",
    "InvalidUrlError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ends_bulk_run",
    "error_from_response",
    "unreadable",
    "unsendable",
]


class DncError(Exception):
    """Base of every error of the DNC client."""


class DncConnectionError(DncError):
    """The API could not be reached or gave no usable answer."""


class DncUnreachableError(DncConnectionError):
    """No connection could be made to the API (refused, unknown host, connect timeout), even
    after the short bounded retry: every further request would fail the same way."""


class InconsistentSnapshotError(DncError):
    """The list changed between page reads in a way the snapshot could not repair.

    Raised instead of returning a list that might silently miss entries; read again later.
    """


class DncApiError(DncError):
    """The API answered with an error status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class BadRequestError(DncApiError):
    """400: the request was malformed."""


class InvalidUrlError(BadRequestError):
    """400 `invalid_url`: the URL is not a LinkedIn profile URL."""


class AuthenticationError(DncApiError):
    """401: missing or invalid API key."""


class PermissionDeniedError(DncApiError):
    """403: the entry belongs to another team (`unauthorized_dnc`), or the key lacks the
    operation's scope (`insufficient_scope`, an extension of the reference server's stored keys)."""


class NotFoundError(DncApiError):
    """404: no such entry (or route)."""


class ConflictError(DncApiError):
    """409: the URL is already on the team's list."""


class PayloadTooLargeError(DncApiError):
    """413: the body is too large."""


class RateLimitError(DncApiError):
    """429: the team's bucket is exhausted until `reset_at` (epoch seconds, None if unknown)."""

    def __init__(self, status: int, code: str, message: str, reset_at: float | None) -> None:
        super().__init__(status, code, message)
        self.reset_at = reset_at


class InternalServerError(DncApiError):
    """5xx: the API failed."""


def unsendable(error: Exception) -> InvalidUrlError:
    """A request that cannot even be written (a URL too long for a query string): answered as
    the API would answer an invalid URL, so a bulk run reports that row and goes on."""
    return InvalidUrlError(400, "invalid_url", f"the URL cannot be sent ({error})")


def unreadable(error: Exception) -> DncConnectionError:
    """Any other failure of httpx (a body that does not decode as its content-encoding says,
    too many redirects): no usable answer, so the outcome is unknown, never "not listed"."""
    # Only the type: httpx messages may carry a redirect's URL.
    return DncConnectionError(f"{type(error).__name__}: the answer could not be read")


def ends_bulk_run(error: DncError) -> bool:
    """An error that every further request of the run would meet too: a refused key (401,
    403) or an unreachable API. The bulk helpers raise it instead of reporting it per URL."""
    return isinstance(error, AuthenticationError | PermissionDeniedError | DncUnreachableError)


_BY_STATUS: Final[Mapping[int, type[DncApiError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
}


def _reset_at(body: Mapping[str, Any], headers: Mapping[str, str], now: float) -> float | None:
    """When a 429 lifts: body `resetTime` (ms), else `Retry-After` (s), else unknown."""
    reset_ms = body.get("resetTime")
    if isinstance(reset_ms, int | float) and not isinstance(reset_ms, bool):
        return float(reset_ms) / 1000.0
    retry_after = headers.get("retry-after") or headers.get("Retry-After")
    if retry_after is not None:
        try:
            return now + max(0.0, float(retry_after))
        except ValueError:
            return None
    return None


def error_from_response(
    status: int, body: object, headers: Mapping[str, str], now: float
) -> DncApiError:
    """The exception for an error answer (status >= 400). `now` is epoch seconds."""
    envelope: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    code = envelope.get("error")
    code = code if isinstance(code, str) and code else f"http_{status}"
    message = envelope.get("message")
    message = message if isinstance(message, str) and message else f"HTTP {status}"
    if status == 429:
        return RateLimitError(status, code, message, _reset_at(envelope, headers, now))
    if status == 400 and code == "invalid_url":
        return InvalidUrlError(status, code, message)
    if status >= 500:
        return InternalServerError(status, code, message)
    return _BY_STATUS.get(status, DncApiError)(status, code, message)
