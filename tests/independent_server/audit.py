"""The compliance trail of writes: kept in memory, and also logged when the variant says so.

Records carry a fingerprint of the API key, never the key, and outlive the entry they describe.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

__all__ = ["AuditLog", "AuditRecord"]

_LOG = logging.getLogger("independent_server.audit")


@dataclass(frozen=True)
class AuditRecord:
    team_id: str
    key_fingerprint: str
    action: str
    url: str
    entry_id: str
    at: str


class AuditLog:
    def __init__(self, *, emit: bool) -> None:
        self._emit = emit
        self.records: list[AuditRecord] = []

    def record(
        self, team_id: str, api_key: str, action: str, url: str, entry_id: str, at: str
    ) -> None:
        fingerprint = hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:12]
        item = AuditRecord(team_id, fingerprint, action, url, entry_id, at)
        self.records.append(item)
        if self._emit:
            _LOG.info("%s team=%s key=%s url=%s id=%s", action, team_id, fingerprint, url, entry_id)
