"""Exit codes and the CLI's own errors, and which exit code each failure gets.

    CliError            base of this package's errors
    └── UsageError      bad arguments, an unreadable or malformed file: exit 2

    dnc_client.errors.DncError (the API's errors, one tree) -> exit code:
    ├── AuthenticationError, PermissionDeniedError      4  the key is refused: fix DNC_API_KEY
    ├── DncConnectionError (DncUnreachableError)        5  unavailable: nothing answered
    ├── InternalServerError, RateLimitError             5  unavailable: try again later
    ├── InconsistentSnapshotError                       5  the list kept changing: try again later
    └── any other DncApiError (400, 404, 409, 413)      3  the API refused this request

Exit codes (documented in `dnc help`, stable for scripts):

    0  done; `dnc check URL`: the URL IS on the Do-Not-Contact list (as grep: 0 = found)
    1  some rows failed (bulk commands: see the dnc_error column); `dnc check URL`: the URL is
       NOT on the list (as grep: 1 = not found)
    2  usage: bad arguments, an unreadable file, a delete refused without --yes
    3  the API refused the request (invalid URL, no such entry), or the human said no
    4  authentication: the API key was refused (401/403)
    5  unavailable: the API could not be reached, failed (5xx), stayed rate-limited, or the
       list changed beyond repair while it was read
    130  interrupted (Ctrl-C); 141  stdout was closed (`dnc list | head`)

A script gating outreach on `dnc check URL` must test for exit code 1 exactly: every other
code, errors included, means "do not contact".
"""

from __future__ import annotations

from typing import Final

from dnc_client import (
    AuthenticationError,
    DncApiError,
    DncConnectionError,
    DncError,
    InconsistentSnapshotError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_LISTED",
    "EXIT_NOT_LISTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "CliError",
    "UsageError",
    "exit_code",
    "explain",
]

EXIT_OK: Final = 0
EXIT_LISTED: Final = 0  # `dnc check URL`: on the list
EXIT_FAILED: Final = 1  # some rows failed
EXIT_NOT_LISTED: Final = 1  # `dnc check URL`: not on the list
EXIT_USAGE: Final = 2  # bad arguments, unreadable input, refused without --yes
EXIT_REFUSED: Final = 3  # the API refused the one request, or the human said no
EXIT_AUTH: Final = 4  # the API key was refused
EXIT_UNAVAILABLE: Final = 5  # unreachable, 5xx, rate-limited, list changing
EXIT_INTERRUPTED: Final = 130
EXIT_BROKEN_PIPE: Final = 141


class CliError(Exception):
    """Base of the CLI's own errors; the message is shown as is."""


class UsageError(CliError):
    """The command cannot run as asked; the message says what to change."""


def exit_code(error: DncError) -> int:
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(
        error,
        DncConnectionError | InternalServerError | RateLimitError | InconsistentSnapshotError,
    ):
        return EXIT_UNAVAILABLE
    if isinstance(error, DncApiError):
        return EXIT_REFUSED
    return EXIT_UNAVAILABLE


def explain(error: DncError, where: str) -> str:
    """One line: what happened and what to do. Never the key."""
    if isinstance(error, AuthenticationError):
        return (
            f"{where} refused the API key ({error.status} {error.code}): set DNC_API_KEY to a"
            " valid key of your team. Nothing more was sent."
        )
    if isinstance(error, PermissionDeniedError):
        return (
            f"{where} refused this key access ({error.status} {error.code}): the key's team"
            " may not do this. Check DNC_API_KEY."
        )
    if isinstance(error, InconsistentSnapshotError):
        return f"{error}. Nothing was written."
    return str(error)
