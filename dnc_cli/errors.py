"""Exit codes and the CLI's own errors.

    CliError            base of this package's errors
    └── UsageError      bad arguments, an unreadable or malformed file: exit 2

Errors of the API itself are `dnc_client.errors`; `main` turns both into one line on stderr.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "CliError", "UsageError"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # some rows failed, or the single request did
EXIT_USAGE: Final = 2  # bad arguments, unreadable input, refused without --yes


class CliError(Exception):
    """Base of the CLI's own errors; the message is shown as is."""


class UsageError(CliError):
    """The command cannot run as asked; the message says what to change."""
