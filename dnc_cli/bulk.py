"""Whole files and the whole list: `dnc check --file`, `dnc import`, `dnc export`.

The machine-readable result (CSV or JSONL) goes to `--output` or stdout and nothing else does;
progress bars and the summary go to stderr.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Final

from dnc_cli import audit
from dnc_cli.config import CliConfig
from dnc_cli.errors import EXIT_FAILED, EXIT_OK
from dnc_cli.progress import Bars, Reporter
from dnc_cli.tables import read_table, write_text
from dnc_client import AddOutcome, AsyncDncClient, CheckOutcome

__all__ = [
    "CHECK_COLUMNS",
    "EXPORT_COLUMNS",
    "IMPORT_COLUMNS",
    "check_file",
    "export",
    "import_file",
]

CHECK_COLUMNS: Final = ("dnc_on_list", "dnc_entry_id", "dnc_url", "dnc_error")
IMPORT_COLUMNS: Final = ("dnc_status", "dnc_url", "dnc_error")
EXPORT_COLUMNS: Final = ("$id", "teamId", "url", "$createdAt", "$updatedAt")


def check_cells(outcome: CheckOutcome) -> list[str]:
    # An error leaves dnc_on_list empty, never "false": unknown is not "not on the list".
    on_list = "" if outcome.on_list is None else ("true" if outcome.on_list else "false")
    entry_id = outcome.entry.id if outcome.entry is not None else ""
    return [on_list, entry_id, outcome.normalized_url or "", outcome.error or ""]


async def check_file(
    api: AsyncDncClient, path: Path, column: str | None, output: Path | None, report: Reporter
) -> int:
    table = read_table(path, column)
    urls = table.urls()
    with Bars(not report.quiet) as bars:
        outcomes = await api.check_many(urls, progress=bars.update)
    write_text(table.to_csv(CHECK_COLUMNS, [check_cells(o) for o in outcomes]), output)
    listed = sum(1 for o in outcomes if o.on_list is True)
    clear = sum(1 for o in outcomes if o.on_list is False)
    failed = len(outcomes) - listed - clear
    report.info(
        f"{len(outcomes)} rows: {listed} on the Do-Not-Contact list, {clear} not on it"
        + (f", {failed} could not be checked (see dnc_error)." if failed else ".")
    )
    return EXIT_FAILED if failed else EXIT_OK


def import_cells(outcome: AddOutcome) -> list[str]:
    return [outcome.status, outcome.normalized_url or "", outcome.error or ""]


async def import_file(
    api: AsyncDncClient,
    config: CliConfig,
    path: Path,
    column: str | None,
    reason: str | None,
    output: Path | None,
    report: Reporter,
) -> int:
    table = read_table(path, column)
    urls = table.urls()
    with Bars(not report.quiet) as bars:
        outcomes = await api.add_many(urls, progress=bars.update)
    audit.record_many(
        config.data_dir,
        "dnc import",
        [
            {
                "outcome": o.status,
                "url": o.normalized_url or o.url,
                "reason": reason,
                "error": o.error,
            }
            for o in outcomes
        ],
    )
    write_text(table.to_csv(IMPORT_COLUMNS, [import_cells(o) for o in outcomes]), output)
    added = sum(1 for o in outcomes if o.status == "added")
    duplicates = sum(1 for o in outcomes if o.status == "duplicate")
    failed = len(outcomes) - added - duplicates
    report.info(
        f"{len(outcomes)} rows: {added} added, {duplicates} already on the list"
        + (
            f", {failed} failed (see dnc_error; running the import again is safe)."
            if failed
            else "."
        )
    )
    return EXIT_FAILED if failed else EXIT_OK


async def export(api: AsyncDncClient, fmt: str, output: Path | None, report: Reporter) -> int:
    # The whole snapshot first: a list that changed beyond repair writes nothing at all.
    with Bars(not report.quiet) as bars:
        entries = await api.snapshot(progress=bars.update)
    rows = [entry.model_dump(by_alias=True) for entry in entries]
    if fmt == "jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = out.getvalue()
    write_text(text, output)
    report.info(f"Exported {len(entries)} entries.")
    return EXIT_OK
