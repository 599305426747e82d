"""One entry at a time: `dnc add`, `dnc check URL`, `dnc list`, `dnc delete`.

Answers go to stdout, one line each; messages and the delete question go to stderr.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Final

from dnc_cli import audit
from dnc_cli.config import CliConfig
from dnc_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from dnc_cli.progress import Reporter
from dnc_client import AsyncDncClient, ConflictError, DncEntry
from dnc_kit.contract import ENTRY_ID_PATTERN, LIST_LIMIT_MAX

__all__ = ["add_one", "check_one", "delete_one", "describe", "list_page", "question"]

_ID: Final = re.compile(ENTRY_ID_PATTERN)


def describe(entry: DncEntry) -> str:
    return f"{entry.url} (entry {entry.id}, added {entry.created_at})"


def question(entry: DncEntry) -> str:
    return f"Remove {entry.url} from the Do-Not-Contact list? [y/N] "


async def add_one(
    api: AsyncDncClient, config: CliConfig, url: str, reason: str | None, report: Reporter
) -> int:
    try:
        entry = await api.add(url)
        status = "added"
    except ConflictError:
        existing = (await api.check(url)).entry
        audit.record(
            config.data_dir,
            command="dnc add",
            outcome="already_listed",
            url=existing.url if existing else url,
            id=existing.id if existing else None,
            reason=reason,
        )
        shown = describe(existing) if existing else url
        print(f"Already on the Do-Not-Contact list: {shown}")
        return EXIT_OK
    audit.record(
        config.data_dir,
        command="dnc add",
        outcome=status,
        url=entry.url,
        id=entry.id,
        reason=reason,
    )
    print(f"Added to the Do-Not-Contact list: {describe(entry)}")
    return EXIT_OK


async def check_one(api: AsyncDncClient, url: str) -> int:
    result = await api.check(url)
    if result.on_list:
        shown = describe(result.entry) if result.entry else url
        print(f"ON the Do-Not-Contact list: {shown}. Do not contact.")
    else:
        print(f"Not on the Do-Not-Contact list: {url}")
    return EXIT_OK


async def list_page(api: AsyncDncClient, limit: int, offset: int, report: Reporter) -> int:
    page = await api.list(limit, offset)
    for entry in page.entries:
        print(f"{entry.id}\t{entry.created_at}\t{entry.url}")
    if page.total >= page.limit:
        report.info(
            f"{page.total} entries from offset {offset}; next page: dnc list --limit {limit}"
            f" --offset {offset + page.total}"
        )
    else:
        report.info(f"{page.total} entries from offset {offset}; that is the end of the list.")
    return EXIT_OK


async def find_entry(api: AsyncDncClient, id_or_url: str) -> DncEntry | None:
    if _ID.fullmatch(id_or_url):
        async for entry in api.iter_entries(page_size=LIST_LIMIT_MAX):
            if entry.id == id_or_url:
                return entry
        return None
    return (await api.check(id_or_url)).entry


async def delete_one(
    api: AsyncDncClient,
    config: CliConfig,
    id_or_url: str,
    yes: bool,
    report: Reporter,
    *,
    ask: Callable[[str], str] = input,
    is_terminal: Callable[[], bool] = sys.stdin.isatty,
) -> int:
    """The human's own path for removals: the entry is shown, then a yes is needed."""
    entry = await find_entry(api, id_or_url)
    if entry is None:
        report.error(f"{id_or_url} is not on the Do-Not-Contact list; nothing to delete.")
        return EXIT_FAILED
    print(f"Entry: {describe(entry)}", file=sys.stderr)
    if not yes:
        if not is_terminal():
            report.error(
                "refusing to delete without a terminal to ask on: run it in a terminal, or add"
                " --yes to confirm. Nothing was deleted."
            )
            return EXIT_USAGE
        print(question(entry), end="", file=sys.stderr, flush=True)
        try:
            answer = ask("")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in {"y", "yes"}:
            audit.record(
                config.data_dir,
                command="dnc delete",
                outcome="not_deleted: human said no",
                url=entry.url,
                id=entry.id,
            )
            print("Nothing was deleted.", file=sys.stderr)
            return EXIT_FAILED
    await api.delete(entry.id)
    audit.record(
        config.data_dir,
        command="dnc delete",
        outcome="deleted",
        url=entry.url,
        id=entry.id,
        confirmed_by="--yes" if yes else "terminal",
    )
    print(f"Deleted from the Do-Not-Contact list: {describe(entry)}")
    return EXIT_OK
