"""Input files as spreadsheets and CRMs write them, and the same table written back.

Reading (`read_table`): a file path or `-` (stdin); UTF-8 by default with or without a
byte-order mark, or `--encoding` (e.g. cp1252 for an old Excel export). A first line that
already looks like a profile URL makes the file a plain list: every line is one URL, commas
and all (Sales Navigator URLs have them). Otherwise the first line is a header and the
delimiter is `,`, `;` (European Excel) or tab, whichever the header uses most outside quotes,
unless `--delimiter` says; quoted fields may hold delimiters and line breaks. A header with
none of them is a one-column file: every line is one value, commas and all. The URL column
is `--column`, else the first of `DEFAULT_COLUMNS`, else the only column there is.

Writing (`Table.to_csv`): every column and row in input order, the CLI's columns appended (or
overwritten in place when the file already has them, e.g. an earlier run's output), with the
input's delimiter, line ending, encoding and byte-order mark, so Excel opens it as it opened
the input.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dnc_cli.errors import UsageError

__all__ = ["DEFAULT_COLUMNS", "DELIMITERS", "Table", "parse_delimiter", "read_table"]

DEFAULT_COLUMNS: Final = ("linkedin_url", "linkedin", "profile_url", "url")
DELIMITERS: Final = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t"}
PLAIN_LIST_COLUMN: Final = "url"
# A cell of a few MB is still read (and answered "invalid" per row), never a csv.Error.
csv.field_size_limit(64 * 1024 * 1024)
_LOOKS_LIKE_URL: Final = re.compile(
    r'^\s*"?\s*(?:https?://|www\.|[a-z]{1,3}\.linkedin\.|linkedin\.|in/)', re.IGNORECASE
)


def parse_delimiter(text: str) -> str:
    try:
        return DELIMITERS[text]
    except KeyError:
        raise UsageError(f"--delimiter {text!r}: use ',', ';' or tab") from None


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # every row padded to len(header)
    url_column: int
    plain_list: bool
    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"

    def urls(self) -> list[str]:
        """Each row's URL cell, surrounding whitespace trimmed (as a spreadsheet shows it)."""
        return [row[self.url_column].strip() for row in self.rows]

    def _merged(
        self, extra: Sequence[str], values: Sequence[Sequence[str]]
    ) -> tuple[list[str], list[list[str]]]:
        header = list(self.header)
        where = []
        for name in extra:
            if name in header:
                where.append(header.index(name))
            else:
                header.append(name)
                where.append(len(header) - 1)
        rows = []
        for row, row_values in zip(self.rows, values, strict=True):
            cells = row + [""] * (len(header) - len(row))
            for index, value in zip(where, row_values, strict=True):
                cells[index] = value
            rows.append(cells)
        return header, rows

    def to_csv(self, extra: Sequence[str], values: Sequence[Sequence[str]]) -> bytes:
        """The table with `extra` columns set to `values` (one sequence per row), encoded."""
        header, rows = self._merged(extra, values)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator=self.newline)
        writer.writerow(header)
        writer.writerows(rows)
        return self.encode(out.getvalue())

    def to_jsonl(self, extra: Sequence[str], values: Sequence[Sequence[str]]) -> bytes:
        """One JSON object per row: its columns by name, then the CLI's (UTF-8)."""
        header, rows = self._merged(extra, values)
        text = "".join(
            json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )
        return text.encode("utf-8")

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding, errors="replace")
        return (codecs.BOM_UTF8 + data) if self.bom else data


def _read_bytes(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror})") from None


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str, bool]:
    bom = data.startswith(codecs.BOM_UTF8)
    name = encoding or "utf-8"
    if bom and codecs.lookup(name).name in {"utf-8", "utf-8-sig"}:
        data, name = data[len(codecs.BOM_UTF8) :], "utf-8"
    try:
        return data.decode(name), name, bom
    except LookupError:
        raise UsageError(f"--encoding {encoding!r}: no such encoding") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"{path}: not {name} text; name its encoding, e.g. --encoding cp1252 for an old"
            " Excel export"
        ) from None


def _sniff(line: str) -> str | None:
    """The delimiter the header line uses most outside quotes (None if it has none)."""
    counts = dict.fromkeys((",", ";", "\t"), 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def read_table(
    path: Path, column: str | None, *, delimiter: str | None = None, encoding: str | None = None
) -> Table:
    text, used_encoding, bom = _decode(path, _read_bytes(path), encoding)
    newline = "\r\n" if "\r\n" in text[:65536] else "\n"
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise UsageError(f"{path}: the file is empty")
    if column is None and _LOOKS_LIKE_URL.match(lines[0]):
        return Table(
            header=[PLAIN_LIST_COLUMN],
            rows=[[_unquoted(line)] for line in lines],
            url_column=0,
            plain_list=True,
            delimiter=delimiter or ",",
            encoding=used_encoding,
            bom=bom,
            newline=newline,
        )
    used = delimiter or _sniff(lines[0])
    if used is None:
        # A one-column file: its cells may hold unquoted commas (Sales Navigator URLs), so
        # each line is one value, as in a plain list.
        used, rows = ",", [[_unquoted(line)] for line in lines]
    else:
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=used) if any(row)]
        except csv.Error as error:
            raise UsageError(f"{path}: not a readable CSV file ({error})") from None
    names = [cell.strip().lower() for cell in rows[0]]
    if column is not None:
        wanted = column.strip().lower()
        if wanted not in names:
            raise UsageError(
                f"{path}: no column named {column!r} in the first line"
                f" (columns: {', '.join(rows[0])})"
            )
        index = names.index(wanted)
    elif found := [names.index(name) for name in DEFAULT_COLUMNS if name in names]:
        index = found[0]
    elif len(names) == 1:
        index = 0
    else:
        raise UsageError(
            f"{path}: no URL column found; name it with --column"
            f" (columns: {', '.join(rows[0])}; looked for {', '.join(DEFAULT_COLUMNS)})"
        )
    header, body = rows[0], rows[1:]
    width = max(len(header), *(len(row) for row in body)) if body else len(header)
    header = header + [f"column_{i + 1}" for i in range(len(header), width)]
    padded = [row + [""] * (width - len(row)) for row in body]
    return Table(header, padded, index, False, used, used_encoding, bom, newline)


def _unquoted(line: str) -> str:
    """A plain-list line as its one value: a line quoted whole loses its quotes."""
    stripped = line.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1].replace('""', '"')
    return stripped
