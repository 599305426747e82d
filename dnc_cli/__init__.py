"""The human CLI: `dnc add/check/list/delete/import/export`, for the compliance officer and the
operator, built on `dnc_client.AsyncDncClient`.

Configured like `dnc mcp`: DNC_BASE_URL and DNC_API_KEY name a deployment; without
DNC_BASE_URL it opens the same local list as `dnc mcp` (`reference_server.local`), so a person
sees and manages what an agent recorded. Modules, one job each: `config` (environment ->
API client), `errors` (exit codes, usage errors), `tables` (CSV and plain-list files),
`progress` (rich progress bars on stderr), `audit` (local record of writes), `single` (add,
check URL, list, delete), `bulk` (check --file, import, export), `main` (argument parsing and
the error boundary: a clear message, never a traceback, never a key).

Exit codes: 0 ok, 1 some rows (or the one request) failed, 2 usage (bad arguments or files).
"""

from dnc_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from dnc_cli.main import COMMAND_HELP, add, check, delete, export, import_, list_

__all__ = [
    "COMMAND_HELP",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "add",
    "check",
    "delete",
    "export",
    "import_",
    "list_",
]
