"""Row-level security, proved with deliberately careless queries run the way the server runs
its own: inside a transaction, as `dnc_app`, with the team set by `set_config(…, true)`."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from reference_server.auth import key_digest
from reference_server.storage.postgres_sql import TEAM_CONTEXT
from tests.reference_server.conftest import SharedStores


@pytest.fixture
def db(stores: SharedStores) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """Two teams' entries and audit rows, and one stored key, written as the owner."""
    with psycopg.connect(stores.database_url, autocommit=True) as conn:
        for team, slug in [("team_a", "alice"), ("team_a", "amy"), ("team_b", "bob")]:
            conn.execute(
                "INSERT INTO entries (id, team_id, url, created_ms) VALUES (%s, %s, %s, 1)",
                (f"dnc_{slug}", team, f"https://linkedin.com/in/{slug}"),
            )
            conn.execute(
                "INSERT INTO audit (at_ms, team_id, key_fingerprint, action, url, entry_id) "
                "VALUES (1, %s, 'fp', 'add', %s, %s)",
                (team, f"https://linkedin.com/in/{slug}", f"dnc_{slug}"),
            )
        conn.execute(
            "INSERT INTO api_keys (id, team_id, name, digest, fingerprint, created_ms) "
            "VALUES ('key_1', 'team_a', 'ci', %s, 'abc', 1)",
            (key_digest("sk-stored"),),
        )
        yield conn


def _as_app(
    conn: psycopg.Connection[tuple[object, ...]], team: str | None, query: str
) -> list[tuple[object, ...]]:
    """`query` exactly as a handler's transaction would run it (team None: setting unset)."""
    with conn.transaction():
        if team is None:
            conn.execute("SET LOCAL ROLE dnc_app")
        else:
            conn.execute(TEAM_CONTEXT, (team,))
        return conn.execute(query).fetchall()


def test_an_unfiltered_select_as_the_app_sees_only_the_current_teams_entries(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    rows = _as_app(db, "team_a", "SELECT team_id, url FROM entries ORDER BY url")
    assert rows == [
        ("team_a", "https://linkedin.com/in/alice"),
        ("team_a", "https://linkedin.com/in/amy"),
    ]
    assert _as_app(db, "team_b", "SELECT count(*) FROM entries") == [(1,)]
    assert _as_app(db, "team_b", "SELECT count(*) FROM audit") == [(1,)]


@pytest.mark.parametrize("team", [None, ""], ids=["unset", "empty"])
def test_an_unset_or_empty_team_sees_no_rows_at_all(
    db: psycopg.Connection[tuple[object, ...]], team: str | None
) -> None:
    assert _as_app(db, team, "SELECT count(*) FROM entries") == [(0,)]
    assert _as_app(db, team, "SELECT count(*) FROM audit") == [(0,)]


def test_the_team_setting_ends_with_the_transaction_so_a_pooled_connection_forgets_it(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    _as_app(db, "team_a", "SELECT 1")
    # The same connection, next transaction, role only: '' now, which matches nothing.
    assert _as_app(db, None, "SELECT current_setting('dnc.team_id', true)") == [("",)]
    assert _as_app(db, None, "SELECT count(*) FROM entries") == [(0,)]
    assert db.execute("SELECT current_user").fetchone() == ("postgres",)


def test_the_app_cannot_write_rows_of_another_team_or_delete_them(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        _as_app(
            db,
            "team_a",
            "INSERT INTO entries (id, team_id, url, created_ms) "
            "VALUES ('dnc_x', 'team_b', 'https://linkedin.com/in/x', 1)",
        )
    assert _as_app(db, "team_a", "DELETE FROM entries WHERE team_id = 'team_b' RETURNING id") == []
    assert db.execute("SELECT count(*) FROM entries WHERE team_id = 'team_b'").fetchone() == (1,)


def test_the_app_cannot_read_stored_keys_directly_only_look_one_up_by_digest(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    for team in ["team_a", None]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as_app(db, team, "SELECT * FROM api_keys")
    with db.transaction():
        db.execute(TEAM_CONTEXT, ("",))
        found = db.execute("SELECT team_id FROM dnc_find_key(%s)", (key_digest("sk-stored"),))
        assert found.fetchall() == [("team_a",)]
        missing = db.execute("SELECT * FROM dnc_find_key(%s)", (key_digest("sk-other"),))
        assert missing.fetchall() == []


def test_the_cross_team_function_answers_only_whether_an_id_exists_elsewhere(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    ask = "SELECT dnc_entry_in_other_team('{}')"
    assert _as_app(db, "team_a", ask.format("dnc_bob")) == [(True,)]
    assert _as_app(db, "team_a", ask.format("dnc_alice")) == [(False,)]  # own entry
    assert _as_app(db, "team_a", ask.format("dnc_nobody")) == [(False,)]


def test_dnc_app_is_a_plain_role_and_every_team_table_forces_row_level_security(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    role = db.execute(
        "SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'dnc_app'"
    ).fetchone()
    assert role == (False, False, False)
    tables = db.execute(
        "SELECT relname, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) "
        "FROM pg_class WHERE relname IN ('entries', 'audit', 'api_keys', 'team_sizes') "
        "ORDER BY relname"
    ).fetchall()
    assert [(name, rls, forced) for name, rls, forced, _ in tables] == [
        ("api_keys", True, True),
        ("audit", True, True),
        ("entries", True, True),
        ("team_sizes", True, True),
    ]
    assert all(owner != "dnc_app" for *_, owner in tables)
    columns = db.execute(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'team_id' "
        "AND table_schema = 'public' ORDER BY table_name"
    ).fetchall()
    assert columns == [("api_keys",), ("audit",), ("entries",), ("team_sizes",)]


def test_uniqueness_of_team_and_url_is_enforced_by_the_database(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute(
            "INSERT INTO entries (id, team_id, url, created_ms) "
            "VALUES ('dnc_again', 'team_a', 'https://linkedin.com/in/alice', 2)"
        )


def test_the_checks_one_message_read_runs_as_the_app_in_its_team_and_leaves_nothing_behind(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    """CHECK_ONE_TRIP, quoted the way `get_by_url` quotes it, with a hostile-looking URL."""
    from psycopg import sql

    from reference_server.storage.postgres_sql import CHECK_ONE_TRIP

    tricky = "https://linkedin.com/in/o'brien\\' OR 'x'='x"
    db.execute(
        "INSERT INTO entries (id, team_id, url, created_ms) VALUES ('dnc_ob', 'team_b', %s, 1)",
        (tricky,),
    )

    def check(team: str, url: str) -> list[tuple[object, ...]]:
        query = CHECK_ONE_TRIP.format(team=sql.Literal(team), url=sql.Literal(url))
        cursor = db.cursor()
        cursor.execute(query)
        cursor.nextset()
        return cursor.fetchall()

    assert check("team_b", tricky) == [("dnc_ob", "team_b", tricky, 1)]
    assert check("team_a", tricky) == []  # the row exists, in another team
    assert check("team_a", "https://linkedin.com/in/alice")[0][0] == "dnc_alice"
    assert db.execute("SELECT current_user, current_setting('dnc.team_id', true)").fetchone() == (
        "postgres",
        "",
    )
