"""A local JSONL record of the writes made with the CLI (`cli-audit.jsonl` in the data dir).

The API has no field for a reason, so `--reason` lives here, next to the entry id and the
outcome: the operator's own trail of what they did from this machine. Never the API key.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from dnc_kit.private_files import append_private

__all__ = ["AUDIT_NAME", "record", "record_many"]

AUDIT_NAME = "cli-audit.jsonl"


def record(data_dir: Path, *, command: str, outcome: str, **fields: object) -> None:
    line = {
        "time": datetime.fromtimestamp(time.time(), tz=UTC).isoformat(timespec="milliseconds"),
        "command": command,
        "outcome": outcome,
        **fields,
    }
    append_private(data_dir / AUDIT_NAME, json.dumps(line, ensure_ascii=False) + "\n")


def record_many(data_dir: Path, command: str, lines: list[dict[str, object]]) -> None:
    """One line per row, written in one go (an import of 10,000 rows opens the file once)."""
    if not lines:
        return
    stamp = datetime.fromtimestamp(time.time(), tz=UTC).isoformat(timespec="milliseconds")
    text = "".join(
        json.dumps({"time": stamp, "command": command, **fields}, ensure_ascii=False) + "\n"
        for fields in lines
    )
    append_private(data_dir / AUDIT_NAME, text)
