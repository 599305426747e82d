"""The `dnc` command: one entry point, each sub-command owned by its package.

Sub-commands are imported lazily so that `dnc serve` never pays for the MCP SDK or
Schemathesis, and a broken optional piece cannot take the others down.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from dnc_kit.settings import SettingsError

# name -> "module" with a `main(argv) -> int`, or "module:function". The human commands' help
# lines live once, in dnc_cli.COMMAND_HELP; the others' here.
HUMAN_COMMANDS: dict[str, str] = {
    "add": "dnc_cli.main:add",
    "check": "dnc_cli.main:check",
    "list": "dnc_cli.main:list_",
    "delete": "dnc_cli.main:delete",
    "import": "dnc_cli.main:import_",
    "export": "dnc_cli.main:export",
}
OTHER_COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("reference_server.cli", "run the reference DNC API server"),
    "db": ("reference_server.db_cli", "migrate the PostgreSQL schema of the reference server"),
    "keys": ("reference_server.keys_cli", "create, list and revoke stored API keys"),
    "conformance": ("contract_tests.cli", "check a deployment against openapi.yaml"),
    "mcp": ("mcp_server.cli", "run the MCP server for AI agents"),
    "demo": ("dnc.demo", "start the reference server, run the suite, show an agent session"),
}
COMMANDS: dict[str, str] = {
    **HUMAN_COMMANDS,
    **{name: target for name, (target, _) in OTHER_COMMANDS.items()},
}


def usage() -> str:
    from dnc_cli import COMMAND_HELP, EXIT_CODES

    helps = {**COMMAND_HELP, **{name: help_ for name, (_, help_) in OTHER_COMMANDS.items()}}
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: dnc <command> [args...]   (dnc help <command>, dnc --version)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<{width}}  {helps[name]}" for name in COMMANDS]
    lines += ["", f"The human commands' ({', '.join(HUMAN_COMMANDS)}) e{EXIT_CODES[1:]}"]
    return "\n".join(lines)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dnc-kit")
    except PackageNotFoundError:  # a checkout that was never installed
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-V"]):
        print(f"dnc {_version()}")
        return 0
    if args[:1] == ["help"] and len(args) > 1 and args[1] in COMMANDS:
        args = [args[1], "--help"]  # `dnc help check` is `dnc check --help`
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"dnc: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name].partition(":")
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
