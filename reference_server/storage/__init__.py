"""Persistence behind one interface: handlers see `Storage`, never SQL."""

from reference_server.storage.base import (
    AuditRecord,
    DeleteOutcome,
    DuplicateEntryError,
    Entry,
    KeyStore,
    Storage,
    StoredKey,
    new_entry_id,
)
from reference_server.storage.sqlite import SqliteStorage

__all__ = [
    "AuditRecord",
    "DeleteOutcome",
    "DuplicateEntryError",
    "Entry",
    "KeyStore",
    "SqliteStorage",
    "Storage",
    "StoredKey",
    "new_entry_id",
]
