"""The PostgreSQL statements. Queries still name their team: row-level security is the
guarantee, the explicit filter keeps the plans on the (team_id, …) indexes."""

from psycopg import sql

__all__ = [
    "ADD",
    "ADD_MANY",
    "AUDIT",
    "AUDIT_MANY",
    "AUDIT_TRAIL",
    "CHECK_ONE_TRIP",
    "DELETE",
    "FIND_KEY",
    "GET_BY_URL",
    "INSERT_KEY",
    "IN_OTHER_TEAM",
    "LIST",
    "LIST_FROM_OLDEST",
    "LIST_KEYS",
    "OWNER_CONTEXT",
    "REVOKE_KEY",
    "TEAM_CONTEXT",
    "TEAM_ONE_TRIP",
    "TEAM_SIZE",
]

# Both settings are local to the transaction (`true`): `set_config('role', …)` is
# `SET LOCAL ROLE`, in one round trip with the team.
TEAM_CONTEXT = "SELECT set_config('role', 'dnc_app', true), set_config('dnc.team_id', %s, true)"
OWNER_CONTEXT = "SELECT set_config('dnc.definer', 'on', true)"

ADD = (
    "INSERT INTO entries (id, team_id, url, created_ms) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (team_id, url) DO NOTHING RETURNING seq"
)
# One statement for the whole batch; ORDER BY keeps `seq` in input order (list ties).
# Held to the end of the transaction; the key is the team, hashed into the advisory-lock space.
TEAM_BATCH_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('dnc-batch:' || %s, 0))"
ADD_MANY = """
INSERT INTO entries (id, team_id, url, created_ms)
SELECT i.id, %s, i.url, %s
FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS i(id, url, n)
ORDER BY i.n
ON CONFLICT (team_id, url) DO NOTHING
RETURNING url
"""
AUDIT = (
    "INSERT INTO audit (at_ms, team_id, key_fingerprint, action, url, entry_id) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)
AUDIT_MANY = """
INSERT INTO audit (at_ms, team_id, key_fingerprint, action, url, entry_id)
SELECT %s, %s, %s, 'batch_add', a.url, a.id
FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS a(url, id, n)
ORDER BY a.n
"""
GET_BY_URL = "SELECT id, team_id, url, created_ms FROM entries WHERE team_id = %s AND url = %s"
# The check's read as one simple-query message (`postgres.get_by_url`): TEAM_CONTEXT and
# GET_BY_URL with the values as quoted literals.
CHECK_ONE_TRIP = sql.SQL(
    "SELECT set_config('role', 'dnc_app', true), set_config('dnc.team_id', {team}, true);"
    "SELECT id, team_id, url, created_ms FROM entries WHERE team_id = {team} AND url = {url}"
)
# A whole (small) team in one message, the same way (`postgres.team_entries`): its kept size
# and, unless that size reaches `limit` (the bound + 1), its rows. ONE statement, so one
# snapshot: as two, a batch committing between them made the size say "small" and the rows
# say "too big", and the team read as empty (every check of it "not listed").
TEAM_ONE_TRIP = sql.SQL(
    "SELECT set_config('role', 'dnc_app', true), set_config('dnc.team_id', {team}, true);"
    "SELECT s.n, e.id, e.team_id, e.url, e.created_ms"
    " FROM (SELECT COALESCE((SELECT entries FROM team_sizes WHERE team_id = {team}), 0) AS n) s"
    " LEFT JOIN LATERAL (SELECT id, team_id, url, created_ms FROM entries"
    " WHERE team_id = {team} AND s.n < {limit} LIMIT {limit}) e ON true"
)
# Skipping `offset` rows walks only the (team_id, created_ms, seq) index (an index-only scan
# in the subquery); the outer query reads just `limit` rows of the table.
LIST = """
SELECT id, team_id, url, created_ms FROM entries WHERE seq IN (
    SELECT seq FROM entries WHERE team_id = %(team)s
    ORDER BY created_ms DESC, seq DESC LIMIT %(limit)s OFFSET %(offset)s
) ORDER BY created_ms DESC, seq DESC
"""
# The same page counted from the oldest end, for a page past the middle of a long list; the
# team's size is read in the same statement (one snapshot), none means an empty list. The
# seqs are collected into an array first: with a LIMIT the planner cannot know, `IN` made it
# hash-join a scan of the whole table (400 ms at 1M entries).
LIST_FROM_OLDEST = """
SELECT id, team_id, url, created_ms FROM entries WHERE seq = ANY(ARRAY(
    SELECT seq FROM entries WHERE team_id = %(team)s
    ORDER BY created_ms ASC, seq ASC
    LIMIT COALESCE((
        SELECT LEAST(%(limit)s, GREATEST(0, entries - %(offset)s))
        FROM team_sizes WHERE team_id = %(team)s
    ), 0)
    OFFSET COALESCE((
        SELECT GREATEST(0, entries - %(offset)s - %(limit)s)
        FROM team_sizes WHERE team_id = %(team)s
    ), 0)
)) ORDER BY created_ms DESC, seq DESC
"""
TEAM_SIZE = "SELECT entries FROM team_sizes WHERE team_id = %s"
DELETE = "DELETE FROM entries WHERE id = %s AND team_id = %s RETURNING url"
IN_OTHER_TEAM = "SELECT dnc_entry_in_other_team(%s)"
# No team filter: row-level security alone decides (one team as dnc_app, all as the owner).
AUDIT_TRAIL = (
    "SELECT at_ms, team_id, key_fingerprint, action, url, entry_id FROM audit ORDER BY seq"
)

FIND_KEY = (
    "SELECT id, team_id, name, fingerprint, created_ms, NULL::bigint, scopes FROM dnc_find_key(%s)"
)
INSERT_KEY = (
    "INSERT INTO api_keys (id, team_id, name, fingerprint, created_ms, digest, scopes) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
LIST_KEYS = (
    "SELECT id, team_id, name, fingerprint, created_ms, revoked_ms, scopes FROM api_keys "
    "ORDER BY seq"
)
REVOKE_KEY = "UPDATE api_keys SET revoked_ms = %s WHERE id = %s AND revoked_ms IS NULL RETURNING id"
