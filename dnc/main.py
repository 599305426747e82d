"""The `dnc` command: one entry point, each sub-command owned by its package.

Sub-commands are imported lazily so that `dnc serve` never pays for the MCP SDK or
Schemathesis, and a broken optional piece cannot take the others down.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from dnc_kit.settings import SettingsError

# name -> ("module" with a `main(argv) -> int`, or "module:function"; one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("dnc_cli.main:add", "put a LinkedIn URL on the Do-Not-Contact list"),
    "check": ("dnc_cli.main:check", "check a URL, or a whole file of prospects (--file)"),
    "list": ("dnc_cli.main:list_", "show one page of the list, newest first"),
    "delete": ("dnc_cli.main:delete", "remove an entry, after your explicit yes"),
    "import": ("dnc_cli.main:import_", "add every URL of a file, in paced batches"),
    "export": ("dnc_cli.main:export", "write the whole list as CSV or JSONL"),
    "serve": ("reference_server.cli", "run the reference DNC API server"),
    "db": ("reference_server.db_cli", "migrate the PostgreSQL schema of the reference server"),
    "keys": ("reference_server.keys_cli", "create, list and revoke stored API keys"),
    "conformance": ("contract_tests.cli", "check a deployment against openapi.yaml"),
    "mcp": ("mcp_server.cli", "run the MCP server for AI agents"),
    "demo": ("dnc.demo", "start the reference server, run the suite, show an agent session"),
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: dnc <command> [args...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"dnc: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name][0].partition(":")
    try:
        module = importlib.import_module(module_name)
        command: Callable[[list[str]], int] = getattr(module, function or "main")
        return command(rest)
    except SettingsError as error:
        # Every command reads the same environment; a bad value is one line, never a traceback.
        print(f"dnc {name}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
