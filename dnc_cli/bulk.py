"""Whole files and the whole list: `dnc check --file`, `dnc import`, `dnc export`.

The machine-readable result (CSV, or JSONL with `--json`) goes to `--output` or stdout and
nothing else does; progress bars and the summary go to stderr.

An import is sent in slices of `IMPORT_SLICE` rows: Ctrl-C writes the rows answered so far
(the rest with an empty dnc_status), and `--resume` skips rows an earlier run's output already
marks added or duplicate. A check is not resumed: yesterday's "not listed" may be wrong today,
and a whole file is checked again in seconds.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import anyio

from dnc_cli.audit import reasons_by_url
from dnc_cli.config import CliConfig
from dnc_cli.errors import EXIT_FAILED, EXIT_OK
from dnc_cli.output import write_bytes
from dnc_cli.progress import Bars, Reporter
from dnc_cli.tables import Table, read_table
from dnc_client import AddOutcome, AsyncDncClient, CheckOutcome

__all__ = [
    "CHECK_COLUMNS",
    "EXPORT_COLUMNS",
    "IMPORT_COLUMNS",
    "IMPORT_SLICE",
    "FileOptions",
    "check_file",
    "export",
    "import_file",
]

CHECK_COLUMNS: Final = ("dnc_on_list", "dnc_entry_id", "dnc_url", "dnc_error")
IMPORT_COLUMNS: Final = ("dnc_status", "dnc_url", "dnc_error")
EXPORT_COLUMNS: Final = ("$id", "teamId", "url", "$createdAt", "$updatedAt")
IMPORT_SLICE: Final = 1_000
DONE_STATUSES: Final = frozenset({"added", "duplicate"})


@dataclass(frozen=True)
class FileOptions:
    path: Path
    column: str | None
    delimiter: str | None
    encoding: str | None
    output: Path | None
    json: bool


def _write(
    table: Table, options: FileOptions, columns: tuple[str, ...], cells: list[list[str]]
) -> None:
    data = table.to_jsonl(columns, cells) if options.json else table.to_csv(columns, cells)
    write_bytes(data, options.output)


def check_cells(outcome: CheckOutcome) -> list[str]:
    # An error leaves dnc_on_list empty, never "false": unknown is not "not on the list".
    on_list = "" if outcome.on_list is None else ("true" if outcome.on_list else "false")
    entry_id = outcome.entry.id if outcome.entry is not None else ""
    return [on_list, entry_id, outcome.normalized_url or "", outcome.error or ""]


async def check_file(api: AsyncDncClient, options: FileOptions, report: Reporter) -> int:
    table = read_table(
        options.path, options.column, delimiter=options.delimiter, encoding=options.encoding
    )
    with Bars(not report.quiet) as bars:
        outcomes = await api.check_many(table.urls(), progress=bars.update)
    _write(table, options, CHECK_COLUMNS, [check_cells(o) for o in outcomes])
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
    options: FileOptions,
    reason: str | None,
    resume: bool,
    report: Reporter,
) -> int:
    table = read_table(
        options.path, options.column, delimiter=options.delimiter, encoding=options.encoding
    )
    urls = table.urls()
    cells = _earlier_import(table) if resume else [["", "", ""] for _ in urls]
    todo = [i for i, row in enumerate(cells) if row[0] not in DONE_STATUSES]
    skipped = len(urls) - len(todo)
    try:
        with Bars(not report.quiet) as bars:
            for start in range(0, len(todo), IMPORT_SLICE):
                rows = todo[start : start + IMPORT_SLICE]
                outcomes = await api.add_many([urls[i] for i in rows], progress=bars.update)
                _audit_import(config, outcomes, reason)
                for i, outcome in zip(rows, outcomes, strict=True):
                    cells[i] = import_cells(outcome)
    except (KeyboardInterrupt, anyio.get_cancelled_exc_class()):
        # Ctrl-C (asyncio turns it into a cancellation here): write what was answered, say
        # how to carry on, and let the interruption end the command.
        _write(table, options, IMPORT_COLUMNS, cells)
        report.error(
            f"interrupted with {sum(1 for row in cells if not row[0])} rows not sent: run"
            " again with --resume on this output to send only those."
        )
        raise
    _write(table, options, IMPORT_COLUMNS, cells)
    statuses = [row[0] for row in cells]
    added, duplicates = statuses.count("added"), statuses.count("duplicate")
    failed = statuses.count("error")
    summary = f"{len(urls)} rows: {added} added, {duplicates} already on the list"
    if skipped:
        summary += f" ({skipped} done by an earlier run, skipped)"
    if failed:
        summary += f", {failed} failed (see dnc_error; running the import again is safe)"
    report.info(summary + ".")
    return EXIT_FAILED if failed else EXIT_OK


def _earlier_import(table: Table) -> list[list[str]]:
    """The dnc_* cells an earlier run's output holds (rows not yet done stay empty)."""
    names = [name.strip().lower() for name in table.header]
    where = [names.index(c) if c in names else None for c in IMPORT_COLUMNS]
    return [[row[i] if i is not None else "" for i in where] for row in table.rows]


def _audit_import(config: CliConfig, outcomes: list[AddOutcome], reason: str | None) -> None:
    config.trail.record_many(
        "dnc import",
        (
            {
                "outcome": o.status if o.error is None else f"error: {o.error}",
                "url": o.normalized_url or o.url[:200],
                "id": None,  # the batch answer names no entry ids
                "reason": reason,
            }
            for o in outcomes
        ),
    )


async def export(
    api: AsyncDncClient,
    config: CliConfig,
    fmt: str,
    output: Path | None,
    with_reasons: bool,
    report: Reporter,
) -> int:
    # The whole snapshot first: a list that changed beyond repair writes nothing at all.
    with Bars(not report.quiet) as bars:
        entries = await api.snapshot(progress=bars.update)
    rows: list[dict[str, object]] = [entry.model_dump(by_alias=True) for entry in entries]
    columns: tuple[str, ...] = EXPORT_COLUMNS
    if with_reasons:
        reasons = reasons_by_url(config.data_dir)
        columns = (*EXPORT_COLUMNS, "reason")
        for row in rows:
            row["reason"] = reasons.get(str(row["url"]), "")
    if fmt == "jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = out.getvalue()
    write_bytes(text.encode("utf-8"), output)
    report.info(f"Exported {len(entries)} entries.")
    return EXIT_OK
