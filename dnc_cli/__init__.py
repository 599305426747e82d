"""The human CLI: `dnc add/check/list/delete/import/export`, for the compliance officer and the
operator, built on `dnc_client.AsyncDncClient`.

Configured like `dnc mcp`: DNC_BASE_URL and DNC_API_KEY name a deployment; without
DNC_BASE_URL it opens the same local list as `dnc mcp` (`reference_server.local`), so a person
sees and manages what an agent recorded. Modules, one job each: `config` (environment ->
API client), `errors` (exit codes, usage errors), `tables` (CSV and plain-list files as
spreadsheets write them), `output` (writing a result without harming a file), `progress` (rich
progress bars on stderr), `audit` (the local audit file of writes), `single` (add, check URL,
list, delete), `bulk` (check --file, import, export), `main` (argument parsing and the error
boundary: a clear message, never a traceback, never a key).

Exit codes (`dnc_cli.errors`): 0 done, and for `dnc check URL` on the list (as grep); 1 some
rows failed, and for `dnc check URL` NOT on the list; 2 usage; 3 refused by the API or
declined; 4 the API key was refused; 5 unavailable; 130 interrupted.
"""

from dnc_cli.errors import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_LISTED,
    EXIT_NOT_LISTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    UsageError,
)
from dnc_cli.main import COMMAND_HELP, EXIT_CODES, add, check, delete, export, import_, list_

__all__ = [
    "COMMAND_HELP",
    "EXIT_AUTH",
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_LISTED",
    "EXIT_NOT_LISTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "UsageError",
    "add",
    "check",
    "delete",
    "export",
    "import_",
    "list_",
]
