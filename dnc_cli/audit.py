"""The CLI's audit file: a local JSONL record of every write made with `dnc add/import/delete`.

Where: `cli-audit.jsonl` in the data folder (DNC_DATA_DIR, default the platform's user data
folder for dnc-kit, e.g. `~/.local/share/dnc-kit`; the folder `dnc mcp` uses), private to the
user (0600 in a 0700 folder). One JSON object a line,
appended, never rewritten:

    time      when (UTC, ISO 8601, milliseconds)
    command   "dnc add", "dnc import" or "dnc delete"
    outcome   added, already_listed, duplicate, deleted, not_deleted: ..., error: ...
    target    the deployment written to (DNC_BASE_URL, password redacted) or "local:<folder>"
    key       the team's API key fingerprint (`dnc_kit.key_fingerprint`, never the key), or
              "local" for the local list
    url       the URL as stored (normalized), or as given when it was not stored
    id        the entry id (`$id`), where the API gave one (adds and deletes; a batch import
              answers without ids)
    reason    the operator's `--reason`, or null

The API has no field for a reason, so this file is where `--reason` lives; `dnc export
--with-reasons` joins it back onto the list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dnc_kit import key_fingerprint, redact_url
from dnc_kit.private_files import append_private

__all__ = ["AUDIT_NAME", "Trail", "reasons_by_url"]

AUDIT_NAME = "cli-audit.jsonl"


def _now() -> str:
    return datetime.fromtimestamp(time.time(), tz=UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Trail:
    """Appends audit lines for one deployment and key."""

    data_dir: Path
    target: str
    key: str

    @classmethod
    def of(cls, data_dir: Path, base_url: str | None, api_key: str | None) -> Trail:
        if base_url is None or api_key is None:
            return cls(data_dir, f"local:{data_dir}", "local")
        return cls(data_dir, redact_url(base_url), key_fingerprint(api_key))

    def record(self, *, command: str, outcome: str, **fields: object) -> None:
        self.record_many(command, [{"outcome": outcome, **fields}])

    def record_many(self, command: str, lines: Iterable[Mapping[str, object]]) -> None:
        """One line per row, written in one go (an import of 10,000 rows opens the file once)."""
        stamp = _now()
        text = "".join(
            json.dumps(
                {"time": stamp, "command": command, "target": self.target, "key": self.key}
                | dict(fields),
                ensure_ascii=False,
            )
            + "\n"
            for fields in lines
        )
        if text:
            append_private(self.data_dir / AUDIT_NAME, text)


def reasons_by_url(data_dir: Path) -> dict[str, str]:
    """The latest `--reason` recorded for each URL (as stored) that was added or imported."""
    reasons: dict[str, str] = {}
    try:
        handle = (data_dir / AUDIT_NAME).open(encoding="utf-8")
    except FileNotFoundError:
        return reasons
    with handle:
        for line in handle:
            try:
                fields = json.loads(line)
            except ValueError:
                continue
            url, reason = fields.get("url"), fields.get("reason")
            stored = fields.get("outcome") in {"added", "already_listed", "duplicate"}
            if stored and isinstance(url, str) and isinstance(reason, str) and reason:
                reasons[url] = reason
    return reasons
