"""The PostgreSQL schema as numbered migrations, oldest first. Never edit a released step:
append a new one (`dnc db migrate` applies every step above the database's version).

Team isolation is enforced by the database ("permissions enforced at database level"):
- every table with team data has `team_id`, row-level security ENABLEd and FORCEd (so even
  the tables' owner is filtered), and a policy that shows a row only when the transaction's
  `dnc.team_id` setting equals its `team_id`. `NULLIF(…, '')` makes an empty setting match
  nothing: after a `set_config(…, true)` ends, `current_setting` returns '' rather than NULL.
- the server's queries run as `dnc_app` (NOLOGIN, owns nothing, no BYPASSRLS), which holds
  only the privileges the five operations need, and no privilege at all on `api_keys`.
- two questions must be answered before or beyond the caller's team, each by one narrow
  SECURITY DEFINER function: "which active key has this digest" (authentication) and "does
  this entry id exist in another team" (403 versus 404). While they run, `dnc.definer` is
  'on' (set and cleared by the function body: a function's own SET clause for a custom
  variable needs a superuser), which a policy scoped to the migrating role (the owner;
  `TO CURRENT_USER`) honours; `dnc_app` can set that variable too, but no policy applies it
  to `dnc_app`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["APP_ROLE", "MIGRATIONS", "Migration", "latest_version"]

APP_ROLE = "dnc_app"

_TEAM = "team_id = NULLIF(current_setting('dnc.team_id', true), '')"
_DEFINER = "current_setting('dnc.definer', true) = 'on'"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "entries",
        """
CREATE TABLE entries (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         text   NOT NULL UNIQUE,
    team_id    text   NOT NULL,
    url        text   NOT NULL,
    created_ms bigint NOT NULL,
    CONSTRAINT entries_team_url UNIQUE (team_id, url)
);
CREATE INDEX entries_team_created ON entries (team_id, created_ms DESC, seq DESC);
""",
    ),
    Migration(
        2,
        "audit",
        """
CREATE TABLE audit (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms           bigint NOT NULL,
    team_id         text   NOT NULL,
    key_fingerprint text   NOT NULL,
    action          text   NOT NULL,
    url             text   NOT NULL,
    entry_id        text   NOT NULL
);
CREATE INDEX audit_team ON audit (team_id, seq);
""",
    ),
    Migration(
        3,
        "row-level security for entries and audit",
        f"""
GRANT USAGE ON SCHEMA public TO {APP_ROLE};
GRANT SELECT, INSERT, DELETE ON entries TO {APP_ROLE};
GRANT SELECT, INSERT ON audit TO {APP_ROLE};
ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE entries FORCE ROW LEVEL SECURITY;
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit FORCE ROW LEVEL SECURITY;
CREATE POLICY team_isolation ON entries USING ({_TEAM}) WITH CHECK ({_TEAM});
CREATE POLICY team_isolation ON audit USING ({_TEAM}) WITH CHECK ({_TEAM});
CREATE POLICY definer_read ON entries FOR SELECT TO CURRENT_USER USING ({_DEFINER});
CREATE POLICY definer_read ON audit FOR SELECT TO CURRENT_USER USING ({_DEFINER});

-- 403 versus 404 for a delete: answers only "does this id exist in another team".
CREATE FUNCTION dnc_entry_in_other_team(entry_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    found boolean;
BEGIN
    PERFORM set_config('dnc.definer', 'on', true);
    SELECT EXISTS (
        SELECT 1 FROM public.entries e
        WHERE e.id = entry_id
          AND e.team_id IS DISTINCT FROM NULLIF(current_setting('dnc.team_id', true), '')
    ) INTO found;
    PERFORM set_config('dnc.definer', '', true);
    RETURN found;
END
$$;
REVOKE ALL ON FUNCTION dnc_entry_in_other_team(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnc_entry_in_other_team(text) TO {APP_ROLE};
""",  # noqa: S608 (only module constants are interpolated)
    ),
    Migration(
        4,
        "stored API keys",
        f"""
CREATE TABLE api_keys (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text   NOT NULL UNIQUE,
    team_id     text   NOT NULL,
    name        text   NOT NULL,
    digest      bytea  NOT NULL UNIQUE,
    fingerprint text   NOT NULL,
    created_ms  bigint NOT NULL,
    revoked_ms  bigint
);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY team_isolation ON api_keys USING ({_TEAM}) WITH CHECK ({_TEAM});
-- `dnc keys` (run as the owner) manages keys of every team with dnc.definer on.
CREATE POLICY definer_all ON api_keys TO CURRENT_USER USING ({_DEFINER}) WITH CHECK ({_DEFINER});

-- Authentication before the team is known: the active key with this digest, nothing else.
CREATE FUNCTION dnc_find_key(key_digest bytea)
    RETURNS TABLE (id text, team_id text, name text, fingerprint text, created_ms bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM set_config('dnc.definer', 'on', true);
    RETURN QUERY
        SELECT k.id, k.team_id, k.name, k.fingerprint, k.created_ms
        FROM public.api_keys k
        WHERE k.digest = key_digest AND k.revoked_ms IS NULL;
    PERFORM set_config('dnc.definer', '', true);
END
$$;
REVOKE ALL ON FUNCTION dnc_find_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnc_find_key(bytea) TO {APP_ROLE};
""",  # noqa: S608 (only module constants are interpolated)
    ),
    Migration(
        5,
        "scopes of stored API keys",
        f"""
-- Existing keys keep every scope, as before scopes existed.
ALTER TABLE api_keys ADD COLUMN scopes text NOT NULL DEFAULT 'read write delete';

-- A function's result type cannot be changed in place: drop it and create it again.
DROP FUNCTION dnc_find_key(bytea);
CREATE FUNCTION dnc_find_key(key_digest bytea)
    RETURNS TABLE (
        id text, team_id text, name text, fingerprint text, created_ms bigint, scopes text
    )
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM set_config('dnc.definer', 'on', true);
    RETURN QUERY
        SELECT k.id, k.team_id, k.name, k.fingerprint, k.created_ms, k.scopes
        FROM public.api_keys k
        WHERE k.digest = key_digest AND k.revoked_ms IS NULL;
    PERFORM set_config('dnc.definer', '', true);
END
$$;
REVOKE ALL ON FUNCTION dnc_find_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dnc_find_key(bytea) TO {APP_ROLE};
""",  # noqa: S608 (only module constants are interpolated)
    ),
    Migration(
        6,
        "entry count per team",
        f"""
-- Lets a page past the middle of a long list be read from the oldest end. Kept by
-- statement-level triggers in the writing transaction (one row update per statement, so a
-- batch of 1,000 updates it once), under the same row-level security as the entries.
CREATE TABLE team_sizes (team_id text PRIMARY KEY, entries bigint NOT NULL);
ALTER TABLE team_sizes ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_sizes FORCE ROW LEVEL SECURITY;
CREATE POLICY team_isolation ON team_sizes USING ({_TEAM}) WITH CHECK ({_TEAM});
CREATE POLICY definer_all ON team_sizes TO CURRENT_USER USING ({_DEFINER}) WITH CHECK ({_DEFINER});
GRANT SELECT, INSERT, UPDATE ON team_sizes TO {APP_ROLE};

CREATE FUNCTION dnc_count_added() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO public.team_sizes AS s (team_id, entries)
        SELECT a.team_id, count(*) FROM added a GROUP BY a.team_id
        ON CONFLICT (team_id) DO UPDATE SET entries = s.entries + EXCLUDED.entries;
    RETURN NULL;
END
$$;
CREATE FUNCTION dnc_count_removed() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE public.team_sizes s SET entries = s.entries - r.n
        FROM (SELECT team_id, count(*) AS n FROM removed GROUP BY team_id) r
        WHERE s.team_id = r.team_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER entries_counted_in AFTER INSERT ON entries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION dnc_count_added();
CREATE TRIGGER entries_counted_out AFTER DELETE ON entries
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION dnc_count_removed();

SELECT set_config('dnc.definer', 'on', true);
INSERT INTO team_sizes (team_id, entries) SELECT team_id, count(*) FROM entries GROUP BY 1;
SELECT set_config('dnc.definer', '', true);
""",  # noqa: S608 (only module constants are interpolated)
    ),
    Migration(
        7,
        "entry counts emptied with the entries",
        """
-- An operator's TRUNCATE of entries fires no DELETE trigger: without this the counts
-- outlived the rows, and a stale count sent deep pages the wrong way and made a small team
-- look too big for replicas to hold whole. (A TRUNCATE here would fail when the same
-- statement truncates team_sizes too.)
CREATE FUNCTION dnc_count_truncated() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
DECLARE
    previous text := current_setting('dnc.definer', true);
BEGIN
    PERFORM set_config('dnc.definer', 'on', true);
    DELETE FROM public.team_sizes;
    PERFORM set_config('dnc.definer', COALESCE(previous, ''), true);
    RETURN NULL;
END
$$;
CREATE TRIGGER entries_truncated AFTER TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION dnc_count_truncated();
""",
    ),
)


def latest_version() -> int:
    return MIGRATIONS[-1].version
