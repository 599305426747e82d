"""Every DNC error becomes a message that tells the model what happened and what to do next."""

from __future__ import annotations

import pytest

from dnc_client import (
    AuthenticationError,
    BadRequestError,
    DncApiError,
    DncConnectionError,
    DncError,
    DncUnreachableError,
    InternalServerError,
    InvalidUrlError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
)
from mcp_server.errors import ACCEPTED_URL_FORMATS, agent_message


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


def test_an_unreachable_api_is_named_to_the_model_without_a_secret() -> None:
    error = DncUnreachableError(
        "http://user:***@127.0.0.1:9/v1 could not be reached (ConnectError): is the server"
        " running, and is DNC_BASE_URL right?"
    )
    message = agent_message(error)
    assert "127.0.0.1:9" in message
    assert "Nothing more was sent" in message
