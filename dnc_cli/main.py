"""Argument parsing for each human command, and the one error boundary they share.

Every failure becomes one line on stderr and a documented exit code (`dnc_cli.errors`); no
traceback reaches the user, also not when stdout is closed early (`dnc list | head`), and no
message carries the API key.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Final, NoReturn

import anyio

from dnc_cli import bulk, single
from dnc_cli.config import CliConfig, open_api, read_config
from dnc_cli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    CliError,
    UsageError,
    exit_code,
    explain,
)
from dnc_cli.progress import Reporter
from dnc_cli.tables import DEFAULT_COLUMNS, parse_delimiter
from dnc_client import DEFAULT_BULK_SHARE, AsyncDncClient, DncError
from dnc_kit.contract import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, LIST_LIMIT_MIN, LIST_OFFSET_MAX

__all__ = ["COMMAND_HELP", "EXIT_CODES", "add", "check", "delete", "export", "import_", "list_"]

COMMAND_HELP: Final = {
    "add": "put a LinkedIn URL on the Do-Not-Contact list",
    "check": "check a URL, or a whole file of prospects (--file)",
    "list": "show one page of the list, newest first",
    "delete": "remove an entry, after your explicit yes",
    "import": "add every URL of a file, in paced batches",
    "export": "write the whole list as CSV or JSONL",
}
EXIT_CODES: Final = (
    "Exit codes: 0 done (check URL: on the list); 1 some rows failed (check URL: NOT on the"
    " list); 2 usage; 3 refused by the API (invalid URL, no such entry) or declined; 4 the API"
    " key was refused; 5 unavailable (unreachable, 5xx, rate-limited, list changing); 130"
    " interrupted."
)
ENVIRONMENT: Final = (
    "Environment: DNC_BASE_URL and DNC_API_KEY name a deployment; without DNC_BASE_URL the"
    " local list of `dnc mcp` is used (DNC_DATA_DIR). " + EXIT_CODES
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


def _json(parser: argparse.ArgumentParser, what: str = "one JSON object per answer") -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} on stdout")


def _share(text: str) -> float:
    """`--max-rate`: `50%` or `0.5` of each bucket."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share such as 50% or 0.5") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0% and at most 100%")
    return value


def _max_rate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-rate",
        type=_share,
        default=DEFAULT_BULK_SHARE,
        metavar="SHARE",
        help=(
            "the most of each rate limit this run may use, e.g. 50%% (default"
            f" {round(DEFAULT_BULK_SHARE * 100)}%%: the rest stays for agents and colleagues of"
            " the team)"
        ),
    )


def _files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--column", help=f"the URL column (default: the first of {', '.join(DEFAULT_COLUMNS)})"
    )
    parser.add_argument(
        "--delimiter", type=parse_delimiter, help="',', ';' or tab (default: as the header uses)"
    )
    parser.add_argument("--encoding", help="the file's encoding (default UTF-8, BOM or not)")
    parser.add_argument(
        "--output", "-o", type=Path, help="write the result here (default or -: stdout)"
    )
    _json(parser, "JSONL (one object per row) instead of CSV")
    _max_rate(parser)


def _file_options(args: argparse.Namespace, path: Path) -> bulk.FileOptions:
    return bulk.FileOptions(
        path=path,
        column=args.column,
        delimiter=args.delimiter,
        encoding=args.encoding,
        output=args.output,
        json=args.json,
    )


def _run(command: str, quiet: bool, body: Body, *, bulk_share: float = DEFAULT_BULK_SHARE) -> int:
    report = Reporter(f"dnc {command}", quiet)
    where = "the API"

    async def main() -> int:
        nonlocal where
        config = read_config()
        where = config.where
        async with open_api(config, bulk_share=bulk_share) as api:
            return await body(api, config, report)

    try:
        return anyio.run(main)
    except SystemExit:
        raise
    except BaseException as raised:  # the one boundary: every failure gets a documented code
        return _failed(_cause(raised), report, where)


def _cause(raised: BaseException) -> BaseException:
    """The one exception to answer for: a task group raises its tasks' errors as a group, and
    Ctrl-C or a closed pipe anywhere in it decides the exit code before any other error."""
    if not isinstance(raised, BaseExceptionGroup):
        return raised
    leaves = list(_leaves(raised))
    for kind in (KeyboardInterrupt, BrokenPipeError, DncError, CliError):
        if found := [leaf for leaf in leaves if isinstance(leaf, kind)]:
            return found[0]
    return leaves[0] if leaves else raised


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            yield from _leaves(error)
        else:
            yield error


def _failed(error: BaseException, report: Reporter, where: str) -> int:
    """One line on stderr and the documented exit code; never 1, which `dnc check URL` uses
    for "not on the list" (safe to contact)."""
    if isinstance(error, UsageError):
        report.error(str(error))
        return EXIT_USAGE
    if isinstance(error, DncError):
        report.error(explain(error, where))
        return exit_code(error)
    if isinstance(error, CliError):
        report.error(str(error))
        return EXIT_REFUSED
    if isinstance(error, KeyboardInterrupt):
        report.error("interrupted")
        return EXIT_INTERRUPTED
    if isinstance(error, BrokenPipeError):
        # The reader went away (`dnc list | head`): stop quietly, and keep Python from
        # complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    # A failure nobody foresaw: the outcome is unknown. Only its type is shown, as a message
    # might carry a URL with credentials or a header.
    report.error(
        f"unexpected failure ({type(error).__name__}); nothing is known about the outcome,"
        " so treat it as not done (and a checked URL as do-not-contact)"
    )
    return EXIT_UNAVAILABLE


def add(argv: Sequence[str]) -> int:
    parser = _parser("add")
    parser.add_argument("url", help="the person's LinkedIn profile URL")
    parser.add_argument("--reason", help="why (kept in the local audit file, not sent)")
    _json(parser)
    args = parser.parse_args(argv)
    return _run(
        "add",
        args.quiet,
        lambda api, config, report: single.add_one(
            api, config, args.url, args.reason, report, args.json
        ),
    )


def check(argv: Sequence[str]) -> int:
    parser = _parser("check")
    parser.add_argument("url", nargs="?", help="one LinkedIn profile URL")
    parser.add_argument(
        "--file", "-f", type=Path, help="a CSV with a header, or one URL a line; - for stdin"
    )
    _files(parser)
    args = parser.parse_args(argv)
    if (args.url is None) == (args.file is None):
        parser.error("give either a URL or --file FILE")
    if args.file is None and (args.column or args.output or args.delimiter or args.encoding):
        parser.error("--column, --delimiter, --encoding and --output go with --file")
    if args.file is not None:
        options = _file_options(args, args.file)
        return _run(
            "check",
            args.quiet,
            lambda api, config, report: bulk.check_file(api, options, report),
            bulk_share=args.max_rate,
        )
    return _run(
        "check",
        args.quiet,
        lambda api, config, report: single.check_one(api, args.url, args.json),
    )


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
    _json(parser, "one JSON object per entry")
    args = parser.parse_args(argv)
    return _run(
        "list",
        args.quiet,
        lambda api, config, report: single.list_page(
            api, args.limit, args.offset, report, args.json
        ),
    )


def delete(argv: Sequence[str]) -> int:
    parser = _parser("delete")
    parser.add_argument("id_or_url", metavar="ID_OR_URL", help="an entry id (dnc_...) or a URL")
    parser.add_argument("--yes", "-y", action="store_true", help="delete without asking")
    parser.add_argument("--reason", help="why (kept in the local audit file, not sent)")
    _json(parser)
    args = parser.parse_args(argv)
    return _run(
        "delete",
        args.quiet,
        lambda api, config, report: single.delete_one(
            api, config, args.id_or_url, args.yes, report, reason=args.reason, as_json=args.json
        ),
    )


def import_(argv: Sequence[str]) -> int:
    parser = _parser("import")
    parser.add_argument(
        "file", type=Path, help="a CSV with a header, or one URL a line; - for stdin"
    )
    _files(parser)
    parser.add_argument("--reason", help="why (kept in the local audit file, not sent)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="FILE is an earlier run's output: skip its rows already added or duplicate",
    )
    args = parser.parse_args(argv)
    options = _file_options(args, args.file)
    return _run(
        "import",
        args.quiet,
        lambda api, config, report: bulk.import_file(
            api, config, options, args.reason, args.resume, report
        ),
        bulk_share=args.max_rate,
    )


def export(argv: Sequence[str]) -> int:
    parser = _parser("export")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--json", action="store_true", help="the same as --format jsonl")
    parser.add_argument("--output", "-o", type=Path, help="write here (default or -: stdout)")
    parser.add_argument(
        "--with-reasons",
        action="store_true",
        help="add a reason column: the latest --reason of the local audit file for each URL",
    )
    _max_rate(parser)
    args = parser.parse_args(argv)
    fmt = "jsonl" if args.json else args.format
    return _run(
        "export",
        args.quiet,
        lambda api, config, report: bulk.export(
            api, config, fmt, args.output, args.with_reasons, report
        ),
        bulk_share=args.max_rate,
    )
