"""Argument parsing for each human command, and the one error boundary they share.

Every failure becomes one line on stderr and an exit code (0 ok, 1 failed, 2 usage); no
traceback reaches the user and no message carries the API key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final, NoReturn

import anyio

from dnc_cli import bulk, single
from dnc_cli.config import CliConfig, open_api, read_config
from dnc_cli.errors import EXIT_FAILED, EXIT_USAGE, CliError, UsageError
from dnc_cli.progress import Reporter
from dnc_cli.tables import DEFAULT_COLUMNS
from dnc_client import AsyncDncClient, DncError, InconsistentSnapshotError
from dnc_kit.contract import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, LIST_LIMIT_MIN, LIST_OFFSET_MAX

__all__ = ["COMMAND_HELP", "add", "check", "delete", "export", "import_", "list_"]

COMMAND_HELP: Final = {
    "add": "put a LinkedIn URL on the Do-Not-Contact list",
    "check": "check a URL, or a whole file of prospects (--file)",
    "list": "show one page of the list, newest first",
    "delete": "remove an entry, after your explicit yes",
    "import": "add every URL of a file, in paced batches",
    "export": "write the whole list as CSV or JSONL",
}
ENVIRONMENT: Final = (
    "Environment: DNC_BASE_URL and DNC_API_KEY name a deployment; without DNC_BASE_URL the"
    " local list of `dnc mcp` is used (DNC_DATA_DIR). Exit codes: 0 ok, 1 some rows or the"
    " request failed, 2 usage."
)
Body = Callable[[AsyncDncClient, CliConfig, Reporter], Awaitable[int]]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own exit 2, one clear line
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def _parser(name: str) -> _Parser:
    parser = _Parser(prog=f"dnc {name}", description=COMMAND_HELP[name], epilog=ENVIRONMENT)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress or summary")
    return parser


def _columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--column", help=f"the URL column (default: the first of {', '.join(DEFAULT_COLUMNS)})"
    )
    parser.add_argument("--output", "-o", type=Path, help="write the CSV here (default stdout)")


def _run(command: str, quiet: bool, body: Body) -> int:
    report = Reporter(f"dnc {command}", quiet)

    async def main() -> int:
        config = read_config()
        async with open_api(config) as api:
            return await body(api, config, report)

    try:
        return anyio.run(main)
    except UsageError as error:
        report.error(str(error))
        return EXIT_USAGE
    except InconsistentSnapshotError as error:
        report.error(f"{error}. Nothing was written.")
        return EXIT_FAILED
    except (DncError, CliError) as error:
        report.error(str(error))
        return EXIT_FAILED
    except KeyboardInterrupt:
        report.error("interrupted")
        return 130


def add(argv: Sequence[str]) -> int:
    parser = _parser("add")
    parser.add_argument("url", help="the person's LinkedIn profile URL")
    parser.add_argument("--reason", help="why (kept in the local audit log, not sent)")
    args = parser.parse_args(argv)
    return _run(
        "add",
        args.quiet,
        lambda api, config, report: single.add_one(api, config, args.url, args.reason, report),
    )


def check(argv: Sequence[str]) -> int:
    parser = _parser("check")
    parser.add_argument("url", nargs="?", help="one LinkedIn profile URL")
    parser.add_argument("--file", "-f", type=Path, help="a CSV with a header, or one URL a line")
    _columns(parser)
    args = parser.parse_args(argv)
    if (args.url is None) == (args.file is None):
        parser.error("give either a URL or --file FILE")
    if args.file is None and (args.column or args.output):
        parser.error("--column and --output go with --file")
    if args.file is not None:
        return _run(
            "check",
            args.quiet,
            lambda api, config, report: bulk.check_file(
                api, args.file, args.column, args.output, report
            ),
        )
    return _run("check", args.quiet, lambda api, config, report: single.check_one(api, args.url))


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}-{high}")
        return value

    return parse


def list_(argv: Sequence[str]) -> int:
    parser = _parser("list")
    limit_type = _bounded(LIST_LIMIT_MIN, LIST_LIMIT_MAX)
    parser.add_argument("--limit", type=limit_type, default=LIST_LIMIT_DEFAULT)
    parser.add_argument("--offset", type=_bounded(0, LIST_OFFSET_MAX), default=0)
    args = parser.parse_args(argv)
    return _run(
        "list",
        args.quiet,
        lambda api, config, report: single.list_page(api, args.limit, args.offset, report),
    )


def delete(argv: Sequence[str]) -> int:
    parser = _parser("delete")
    parser.add_argument("id_or_url", metavar="ID_OR_URL", help="an entry id (dnc_...) or a URL")
    parser.add_argument("--yes", "-y", action="store_true", help="delete without asking")
    args = parser.parse_args(argv)
    return _run(
        "delete",
        args.quiet,
        lambda api, config, report: single.delete_one(
            api, config, args.id_or_url, args.yes, report
        ),
    )


def import_(argv: Sequence[str]) -> int:
    parser = _parser("import")
    parser.add_argument("file", type=Path, help="a CSV with a header, or one URL a line")
    _columns(parser)
    parser.add_argument("--reason", help="why (kept in the local audit log, not sent)")
    args = parser.parse_args(argv)
    return _run(
        "import",
        args.quiet,
        lambda api, config, report: bulk.import_file(
            api, config, args.file, args.column, args.reason, args.output, report
        ),
    )


def export(argv: Sequence[str]) -> int:
    parser = _parser("export")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--output", "-o", type=Path, help="write here (default stdout)")
    args = parser.parse_args(argv)
    return _run(
        "export",
        args.quiet,
        lambda api, config, report: bulk.export(api, args.format, args.output, report),
    )
