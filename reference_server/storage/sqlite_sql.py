"""The SQLite schema and the statements whose shape matters (uniqueness, ordering, deep pages)."""

__all__ = [
    "AUDIT",
    "FIND_KEY",
    "INSERT",
    "INSERTED_IDS",
    "INSERT_KEY",
    "KEY_SCOPES_COLUMN",
    "LIST",
    "LIST_FROM_OLDEST",
    "LIST_KEYS",
    "REVOKE_KEY",
    "SCHEMA",
    "TEAM_SIZE",
    "TEAM_SIZES",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    team_id    TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_team_url ON entries (team_id, url);
CREATE INDEX IF NOT EXISTS entries_team_created ON entries (team_id, created_ms, seq);
CREATE TABLE IF NOT EXISTS audit (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms           INTEGER NOT NULL,
    team_id         TEXT    NOT NULL,
    key_fingerprint TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    entry_id        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_team ON audit (team_id, seq);
CREATE TABLE IF NOT EXISTS api_keys (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    team_id     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    digest      BLOB    NOT NULL UNIQUE,
    fingerprint TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER,
    scopes      TEXT    NOT NULL DEFAULT 'read write delete'
);
"""
FIND_KEY = (
    "SELECT id, team_id, name, fingerprint, created_ms, revoked_ms, scopes FROM api_keys "
    "WHERE digest = ? AND revoked_ms IS NULL"
)
INSERT_KEY = (
    "INSERT INTO api_keys (id, team_id, name, fingerprint, created_ms, digest, scopes) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
LIST_KEYS = (
    "SELECT id, team_id, name, fingerprint, created_ms, revoked_ms, scopes FROM api_keys "
    "ORDER BY seq"
)
# Files written before key scopes existed: their keys keep all three (the column default).
KEY_SCOPES_COLUMN = (
    "ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write delete'"
)
REVOKE_KEY = "UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL"

INSERT = (
    "INSERT INTO entries (id, team_id, url, created_ms) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (team_id, url) DO NOTHING"
)
# Which of a batch's fresh ids (a JSON array) were inserted; ids are unique, so by its index.
INSERTED_IDS = "SELECT id FROM entries WHERE id IN (SELECT value FROM json_each(?))"
AUDIT = (
    "INSERT INTO audit (at_ms, team_id, key_fingerprint, action, url, entry_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
# Deep pages: the inner query walks only the covering (team_id, created_ms, seq) index to skip
# `offset` rows, and the outer one reads just `limit` table rows. A plain LIMIT/OFFSET would
# fetch every skipped row from the table.
LIST = """
SELECT id, team_id, url, created_ms FROM entries WHERE seq IN (
    SELECT seq FROM entries WHERE team_id = ?
    ORDER BY created_ms DESC, seq DESC LIMIT ? OFFSET ?
) ORDER BY created_ms DESC, seq DESC
"""

# The same page counted from the oldest end: a page past the middle of a long list skips the
# fewer rows (asc offset = size - offset - limit), which needs the team's exact size.
LIST_FROM_OLDEST = """
SELECT id, team_id, url, created_ms FROM entries WHERE seq IN (
    SELECT seq FROM entries WHERE team_id = ?
    ORDER BY created_ms ASC, seq ASC LIMIT ? OFFSET ?
) ORDER BY created_ms DESC, seq DESC
"""
TEAM_SIZE = "SELECT entries FROM team_sizes WHERE team_id = ?"
# Each team's entry count, kept by triggers in the same transaction as every insert and delete
# (whoever writes), created and filled in one transaction on a file that predates it.
TEAM_SIZES = (
    """
CREATE TABLE team_sizes (team_id TEXT PRIMARY KEY, entries INTEGER NOT NULL) WITHOUT ROWID
""",
    """
CREATE TRIGGER entries_counted_in AFTER INSERT ON entries BEGIN
    INSERT INTO team_sizes (team_id, entries) VALUES (NEW.team_id, 1)
    ON CONFLICT (team_id) DO UPDATE SET entries = entries + 1;
END
""",
    """
CREATE TRIGGER entries_counted_out AFTER DELETE ON entries BEGIN
    UPDATE team_sizes SET entries = entries - 1 WHERE team_id = OLD.team_id;
END
""",
    "INSERT INTO team_sizes (team_id, entries) SELECT team_id, count(*) FROM entries GROUP BY 1",
)
