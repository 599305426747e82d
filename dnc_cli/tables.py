"""Input files (a CSV with a header, or a plain list of URLs) and the CSV written back.

A CSV keeps every column and row, in input order; the CLI's own columns are appended (or
overwritten in place when the file already has them, e.g. an earlier run's output). A file
whose first line names no URL column and holds a single value per line is a plain list: every
line is a URL, and the output names that column `url`.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dnc_cli.errors import UsageError

__all__ = ["DEFAULT_COLUMNS", "Table", "read_table", "write_text"]

DEFAULT_COLUMNS: Final = ("linkedin_url", "linkedin", "profile_url", "url")
PLAIN_LIST_COLUMN: Final = "url"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # every row padded to len(header)
    url_column: int
    plain_list: bool

    def urls(self) -> list[str]:
        """Each row's URL cell, surrounding whitespace trimmed (as a spreadsheet shows it)."""
        return [row[self.url_column].strip() for row in self.rows]

    def to_csv(self, extra: Sequence[str], values: Sequence[Sequence[str]]) -> str:
        """The table with `extra` columns set to `values` (one sequence per row)."""
        header = list(self.header)
        where = []
        for name in extra:
            if name in header:
                where.append(header.index(name))
            else:
                header.append(name)
                where.append(len(header) - 1)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row, row_values in zip(self.rows, values, strict=True):
            cells = row + [""] * (len(header) - len(row))
            for index, value in zip(where, row_values, strict=True):
                cells[index] = value
            writer.writerow(cells)
        return out.getvalue()


def read_table(path: Path, column: str | None) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text (save the file as UTF-8 CSV)") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as error:
        raise UsageError(f"{path}: not a readable CSV file ({error})") from None
    if not rows:
        raise UsageError(f"{path}: the file is empty")
    names = [cell.strip().lower() for cell in rows[0]]
    if column is not None:
        wanted = column.strip().lower()
        if wanted not in names:
            raise UsageError(
                f"{path}: no column named {column!r} in the first line"
                f" (columns: {', '.join(rows[0])})"
            )
        return _csv_table(rows, names.index(wanted))
    for default in DEFAULT_COLUMNS:
        if default in names:
            return _csv_table(rows, names.index(default))
    if all(len(row) == 1 for row in rows):
        return Table(header=[PLAIN_LIST_COLUMN], rows=rows, url_column=0, plain_list=True)
    raise UsageError(
        f"{path}: no URL column found; name it with --column"
        f" (columns: {', '.join(rows[0])}; looked for {', '.join(DEFAULT_COLUMNS)})"
    )


def _csv_table(rows: list[list[str]], url_column: int) -> Table:
    header, body = rows[0], rows[1:]
    width = max(len(header), *(len(row) for row in body)) if body else len(header)
    header = header + [f"column_{i + 1}" for i in range(len(header), width)]
    padded = [row + [""] * (width - len(row)) for row in body]
    return Table(header=header, rows=padded, url_column=url_column, plain_list=False)


def write_text(text: str, output: Path | None) -> None:
    """To `output` (written whole, then renamed into place) or to stdout."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    folder = output.parent if str(output.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, output)
    except OSError as error:
        raise UsageError(f"{output}: cannot be written ({error.strerror})") from None
