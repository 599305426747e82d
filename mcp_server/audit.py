"""A local, append-only JSONL record of every write an agent makes (add, batch, delete).

One line per write: time (ISO 8601 UTC), tool, url, id, reason and outcome, plus extra fields
where a tool has them (e.g. a batch's counts, an approval's id). `context` adds the fields of
whoever the server acts for: the team (when the API's answers named it) and the key's
fingerprint. The API keeps its own audit trail; this one is the agent operator's: what *this*
agent did, on this machine. It never contains the API key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dnc_client import Clock
from dnc_kit.private_files import append_private

__all__ = ["AuditLog", "iso_utc"]


def iso_utc(epoch_s: float) -> str:
    """ISO 8601 UTC with milliseconds, like the API's timestamps."""
    moment = datetime.fromtimestamp(epoch_s, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class AuditLog:
    """Appends one JSON object per line to `path` (created with its folder on first write)."""

    path: Path
    clock: Clock
    context: Callable[[], Mapping[str, object]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(
        self,
        *,
        tool: str,
        outcome: str,
        url: str | None = None,
        entry_id: str | None = None,
        reason: str | None = None,
        **extra: object,
    ) -> None:
        line = {
            "time": iso_utc(self.clock()),
            "tool": tool,
            "url": url,
            "id": entry_id,
            "reason": reason,
            "outcome": outcome,
            **(self.context() if self.context is not None else {}),
            **extra,
        }
        text = json.dumps(line, ensure_ascii=False, sort_keys=False) + "\n"
        with self._lock:
            append_private(self.path, text)
