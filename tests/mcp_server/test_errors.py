"""The one status -> exception mapping, and the messages the model reads."""

from __future__ import annotations

import pytest

from mcp_server.errors import (
    ACCEPTED_URL_FORMATS,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DncApiError,
    DncConnectionError,
    DncError,
    InternalServerError,
    InvalidUrlError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    agent_message,
    error_from_response,
)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "invalid_request", BadRequestError),
        (400, "invalid_url", InvalidUrlError),
        (401, "unauthorized", AuthenticationError),
        (403, "unauthorized_dnc", PermissionDeniedError),
        (404, "dnc_not_found", NotFoundError),
        (404, "not_found", NotFoundError),
        (405, "method_not_allowed", DncApiError),
        (409, "dnc_entry_exists", ConflictError),
        (413, "payload_too_large", PayloadTooLargeError),
        (429, "rate_limit_exceeded", RateLimitError),
        (500, "internal_error", InternalServerError),
        (502, "bad_gateway", InternalServerError),
    ],
)
def test_each_status_maps_to_one_exception_class(
    status: int, code: str, expected: type[DncApiError]
) -> None:
    error = error_from_response(status, {"error": code, "message": "m"}, {}, now=0.0)
    assert type(error) is expected
    assert (error.status, error.code, error.message) == (status, code, "m")


def test_a_429_carries_reset_time_in_epoch_seconds() -> None:
    body = {"error": "rate_limit_exceeded", "message": "m", "resetTime": 1_700_308_800_000}
    error = error_from_response(429, body, {"Retry-After": "3"}, now=5.0)
    assert isinstance(error, RateLimitError)
    assert error.reset_at == 1_700_308_800.0


@pytest.mark.parametrize(
    ("headers", "reset_at"),
    [({"retry-after": "3"}, 8.0), ({"retry-after": "soon"}, None), ({}, None)],
)
def test_a_429_without_reset_time_falls_back_to_retry_after(
    headers: dict[str, str], reset_at: float | None
) -> None:
    error = error_from_response(429, {"error": "rate_limit_exceeded"}, headers, now=5.0)
    assert isinstance(error, RateLimitError)
    assert error.reset_at == reset_at


@pytest.mark.parametrize("body", [None, "oops", [], {"error": 3, "message": ""}])
def test_a_body_that_is_not_the_error_envelope_still_maps_by_status(body: object) -> None:
    error = error_from_response(404, body, {}, now=0.0)
    assert isinstance(error, NotFoundError)
    assert error.code == "http_404"


@pytest.mark.parametrize(
    ("error", "phrase"),
    [
        (InvalidUrlError(400, "invalid_url", "Invalid LinkedIn URL format"), ACCEPTED_URL_FORMATS),
        (BadRequestError(400, "invalid_request", "limit must be 1-1000"), "limit must be 1-1000"),
        (AuthenticationError(401, "unauthorized", "Invalid or missing API key"), "DNC_API_KEY"),
        (PermissionDeniedError(403, "unauthorized_dnc", "m"), "another team"),
        (NotFoundError(404, "dnc_not_found", "m"), "dnc_check"),
        (PayloadTooLargeError(413, "payload_too_large", "m"), "fewer URLs"),
        (RateLimitError(429, "rate_limit_exceeded", "m", None), "Nothing was written"),
        (InternalServerError(500, "internal_error", "m"), "dnc_check first"),
        (DncApiError(405, "method_not_allowed", "m"), "405"),
        (DncConnectionError("ConnectError"), "could not be reached"),
    ],
)
def test_every_error_becomes_a_message_with_a_next_step(error: DncError, phrase: str) -> None:
    assert phrase in agent_message(error)
