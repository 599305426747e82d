"""The one status -> exception mapping."""

from __future__ import annotations

import pytest

from dnc_client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DncApiError,
    InternalServerError,
    InvalidUrlError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
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
