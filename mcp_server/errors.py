"""The MCP server's own errors, and the one place where a DNC error becomes text for the model.

    McpServerError           base of this package's own errors
    ├── ConfigError          unusable configuration (the message never holds a key's value)
    └── TokenRejected        a confirmation token cannot be used (the message says what to do)

    dnc_client.errors.AuthenticationError
    └── RequestKeyRejected   multi-tenant: the API rejected the key *this request* carried

Errors of the DNC API itself are `dnc_client.errors` (one tree, one status map, shared with the
human CLI); `agent_message` turns one of them into what the model should read and do next.
Tools hand both to the model as the SDK's `ToolError`.
"""

from __future__ import annotations

from typing import Final

from dnc_client import (
    AuthenticationError,
    BadRequestError,
    DncApiError,
    DncError,
    DncUnreachableError,
    InternalServerError,
    InvalidUrlError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
)
from dnc_kit.settings import SettingsError

__all__ = [
    "ACCEPTED_URL_FORMATS",
    "ConfigError",
    "McpServerError",
    "RequestKeyRejected",
    "TokenRejected",
    "agent_message",
]

ACCEPTED_URL_FORMATS: Final = (
    "https://linkedin.com/in/username, https://www.linkedin.com/in/username/, "
    "linkedin.com/in/username or in/username"
)


class McpServerError(Exception):
    """Base of the MCP server's own errors."""


class ConfigError(McpServerError, SettingsError):
    """Unusable configuration; the message says which setting (never a key's value)."""


class TokenRejected(McpServerError):
    """A confirmation token cannot be used; the message tells the agent what to do."""


class RequestKeyRejected(AuthenticationError):
    """Multi-tenant: the DNC API rejected the bearer key that this MCP request carried."""


def agent_message(error: DncError) -> str:
    """What the model should read: what happened and what to do next. Never the API key."""
    if isinstance(error, RequestKeyRejected):
        return (
            "The DNC API rejected the API key this MCP request carried (401). This is a"
            " configuration problem: the MCP client must send the team's valid DNC API key as"
            " 'Authorization: Bearer <key>'. Retrying will not help."
        )
    if isinstance(error, InvalidUrlError):
        return (
            f"Not a LinkedIn profile URL ({error.message}). Use a profile URL in one of the"
            f" accepted formats: {ACCEPTED_URL_FORMATS}. Company, school, post and Sales"
            " Navigator links are not profiles."
        )
    if isinstance(error, BadRequestError):
        return f"The DNC API rejected the request: {error.message}. Fix the arguments and retry."
    if isinstance(error, AuthenticationError):
        return (
            "The DNC API rejected the server's API key (401). This is a configuration problem:"
            " tell the user to set a valid DNC_API_KEY for the MCP server. Retrying will not help."
        )
    if isinstance(error, PermissionDeniedError) and error.code == "insufficient_scope":
        # A stored key narrowed with `dnc keys create --scope` (openapi.yaml key-scopes).
        return (
            f"The DNC API key may not do this operation (403 insufficient_scope: {error.message})."
            " Nothing was changed. Tell the user the key needs that scope; retrying will not help."
        )
    if isinstance(error, PermissionDeniedError):
        return (
            "That entry belongs to another team's DNC list (403); it cannot be changed from here."
            " Use dnc_check with the person's URL to find your team's entry."
        )
    if isinstance(error, NotFoundError):
        return (
            "No such entry on your team's DNC list (404). Use dnc_check with the URL or dnc_list"
            " to find the current entry id."
        )
    if isinstance(error, PayloadTooLargeError):
        return "The request was too large for the DNC API (413). Send fewer URLs per call."
    if isinstance(error, RateLimitError):
        return (
            "The DNC API rate limit is still exhausted after waiting as long as allowed (429)."
            " Nothing was written by the rejected request. Wait a minute, then retry."
        )
    if isinstance(error, InternalServerError):
        return (
            f"The DNC API failed ({error.status} {error.code}). Retry later; if it was a write,"
            " use dnc_check first to see whether it took effect."
        )
    if isinstance(error, DncApiError):
        return f"The DNC API answered {error.status} {error.code}: {error.message}"
    if isinstance(error, DncUnreachableError):
        # Its message names the deployment (password redacted), never a key.
        return (
            f"{error} Nothing more was sent. Tell the user the DNC service is unreachable; retry"
            " later, and if it was a write, use dnc_check first to see whether it took effect."
        )
    return (
        "The DNC API could not be reached or did not answer. Retry later; if it was a write,"
        " use dnc_check first to see whether it took effect."
    )
