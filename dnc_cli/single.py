"""One entry at a time: `dnc add`, `dnc check URL`, `dnc list`, `dnc delete`.

Answers go to stdout, one line each (with `--json`, one JSON object each); messages and the
delete question go to stderr.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from typing import Final

from dnc_cli.config import CliConfig
from dnc_cli.errors import EXIT_LISTED, EXIT_NOT_LISTED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from dnc_cli.progress import Reporter
from dnc_client import AsyncDncClient, ConflictError, DncEntry
from dnc_kit.contract import ENTRY_ID_PATTERN, LIST_LIMIT_MAX

__all__ = ["add_one", "check_one", "delete_one", "describe", "list_page", "question"]

_ID: Final = re.compile(ENTRY_ID_PATTERN)


def describe(entry: DncEntry) -> str:
    return f"{entry.url} (entry {entry.id}, added {entry.created_at})"


def emit(as_json: bool, text: str, data: Mapping[str, object]) -> None:
    """One answer on stdout: the sentence, or with --json the object."""
    print(json.dumps(data, ensure_ascii=False) if as_json else text, flush=True)


def _entry(entry: DncEntry | None) -> dict[str, object] | None:
    return None if entry is None else entry.model_dump(by_alias=True)


def question(entry: DncEntry) -> str:
    return f"Remove {entry.url} from the Do-Not-Contact list? [y/N] "


async def add_one(
    api: AsyncDncClient,
    config: CliConfig,
    url: str,
    reason: str | None,
    report: Reporter,
    as_json: bool = False,
) -> int:
    try:
        entry = await api.add(url)
    except ConflictError:
        existing = (await api.check(url)).entry
        config.trail.record(
            command="dnc add",
            outcome="already_listed",
            url=existing.url if existing else url,
            id=existing.id if existing else None,
            reason=reason,
        )
        shown = describe(existing) if existing else url
        data = {"status": "already_listed", "url": url, "entry": _entry(existing)}
        emit(as_json, f"Already on the Do-Not-Contact list: {shown}", data)
        return EXIT_OK
    config.trail.record(
        command="dnc add", outcome="added", url=entry.url, id=entry.id, reason=reason
    )
    data = {"status": "added", "url": url, "entry": _entry(entry)}
    emit(as_json, f"Added to the Do-Not-Contact list: {describe(entry)}", data)
    return EXIT_OK


async def check_one(api: AsyncDncClient, url: str, as_json: bool = False) -> int:
    """Exit 0 when listed, 1 when not (as grep); any error is another code (see errors)."""
    result = await api.check(url)
    data = {"url": url, "onList": result.on_list, "entry": _entry(result.entry)}
    if result.on_list:
        shown = describe(result.entry) if result.entry else url
        emit(as_json, f"ON the Do-Not-Contact list: {shown}. Do not contact.", data)
        return EXIT_LISTED
    emit(as_json, f"Not on the Do-Not-Contact list: {url}", data)
    return EXIT_NOT_LISTED


async def list_page(
    api: AsyncDncClient, limit: int, offset: int, report: Reporter, as_json: bool = False
) -> int:
    page = await api.list(limit, offset)
    for entry in page.entries:
        text = f"{entry.id}\t{entry.created_at}\t{entry.url}"
        emit(as_json, text, entry.model_dump(by_alias=True))
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
    reason: str | None = None,
    as_json: bool = False,
    ask: Callable[[str], str] = input,
    is_terminal: Callable[[], bool] = sys.stdin.isatty,
) -> int:
    """The human's own path for removals: the entry is shown, then a yes is needed."""
    entry = await find_entry(api, id_or_url)
    if entry is None:
        report.error(f"{id_or_url} is not on the Do-Not-Contact list; nothing to delete.")
        return EXIT_REFUSED
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
            config.trail.record(
                command="dnc delete",
                outcome="not_deleted: human said no",
                url=entry.url,
                id=entry.id,
                reason=reason,
            )
            print("Nothing was deleted.", file=sys.stderr)
            return EXIT_REFUSED
    await api.delete(entry.id)
    config.trail.record(
        command="dnc delete",
        outcome="deleted",
        url=entry.url,
        id=entry.id,
        reason=reason,
        confirmed_by="--yes" if yes else "terminal",
    )
    data = {"status": "deleted", "entry": _entry(entry)}
    emit(as_json, f"Deleted from the Do-Not-Contact list: {describe(entry)}", data)
    return EXIT_OK
