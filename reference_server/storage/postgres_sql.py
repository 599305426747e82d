"""The PostgreSQL statements. Queries still name their team: row-level security is the
guarantee, the explicit filter keeps the plans on the (team_id, …) indexes."""

__all__ = [
    "ADD",
    "ADD_MANY",
    "AUDIT",
    "AUDIT_MANY",
    "AUDIT_TRAIL",
    "DELETE",
    "FIND_KEY",
    "GET_BY_URL",
    "INSERT_KEY",
    "IN_OTHER_TEAM",
    "LIST",
    "LIST_KEYS",
    "OWNER_CONTEXT",
    "REVOKE_KEY",
    "TEAM_CONTEXT",
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
LIST = (
    "SELECT id, team_id, url, created_ms FROM entries WHERE team_id = %s "
    "ORDER BY created_ms DESC, seq DESC LIMIT %s OFFSET %s"
)
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
