"""Persistence behind one interface: handlers see `Storage`, never SQL."""

from reference_server.storage.base import (
    AuditRecord,
    DeleteOutcome,
    DuplicateEntryError,
    Entry,
    Storage,
    new_entry_id,
)
from reference_server.storage.sqlite import SqliteStorage

__all__ = [
    "AuditRecord",
    "DeleteOutcome",
    "DuplicateEntryError",
    "Entry",
    "SqliteStorage",
    "Storage",
    "new_entry_id",
]
