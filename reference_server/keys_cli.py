"""`dnc keys`: API keys kept in the database, for deployments that outgrow DNC_API_KEYS.

    dnc keys create --team TEAM [--name NAME] [--scope read,write,delete]
                                  print a new key, once (only its digest is kept)
    dnc keys list                 id, team, name, scopes, fingerprint, created, revoked
    dnc keys revoke ID            every instance refuses it within seconds

Where: --database-url URL (default $DNC_DATABASE_URL) for PostgreSQL, else --db PATH (default
$DNC_DB or the `dnc serve` default file) for SQLite. Use the URL that migrations use.

--scope narrows what the key may do (reference_server.scopes): `read` (check, list), `write`
(add, batch), `delete`; repeat it or give a comma list. Without it the key holds all three.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from collections.abc import Sequence
from typing import Protocol

from dnc_kit.settings import read_environment
from reference_server.auth import key_digest, key_fingerprint
from reference_server.errors import ServiceUnavailable
from reference_server.scopes import SCOPES, ScopeError, format_scopes, parse_scopes
from reference_server.settings import Settings
from reference_server.storage import KeyStore, StoredKey
from reference_server.storage.base import format_timestamp

__all__ = ["main", "new_key"]

KEY_PREFIX = "dnck_"


def new_key() -> str:
    """256 random bits: a digest lookup then reveals nothing useful (see auth.py)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dnc keys", description="Manage stored API keys.")
    parser.add_argument("--database-url", help="PostgreSQL (default: $DNC_DATABASE_URL)")
    parser.add_argument("--db", help="SQLite file when no database URL is given")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--team", required=True)
    create.add_argument("--name", default="")
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPES",
        help=f"what the key may do: {', '.join(SCOPES)} (repeatable or a comma list; default all)",
    )
    commands.add_parser("list", help="list keys (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id")
    return parser


class _OpenableKeyStore(KeyStore, Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...


def _store(args: argparse.Namespace) -> tuple[_OpenableKeyStore, str | None]:
    env = read_environment()
    url = args.database_url or env.database_url
    if url is not None:
        from reference_server.storage.postgres import PostgresStorage

        return PostgresStorage(url, min_size=1, max_size=1), url
    from reference_server.cli import default_db_path
    from reference_server.storage import SqliteStorage

    db = args.db or env.db_path or str(default_db_path(env.data_dir))
    return SqliteStorage(db), None


async def _run(args: argparse.Namespace) -> int:
    store, url = _store(args)
    if url is not None:
        from reference_server.storage.postgres_migrate import require_current

        await require_current(url)
    await store.open()
    try:
        return await _command(args, store)
    finally:
        await store.close()


async def _command(args: argparse.Namespace, store: KeyStore) -> int:
    now_ms = int(time.time() * 1000)
    if args.command == "create":
        team = args.team.strip()
        if not team:
            print("dnc keys: --team must not be empty", file=sys.stderr)
            return 2
        try:
            scopes = parse_scopes(args.scope) if args.scope else frozenset(SCOPES)
        except ScopeError as error:
            print(f"dnc keys: {error}", file=sys.stderr)
            return 2
        if not scopes:
            print("dnc keys: --scope must name at least one scope", file=sys.stderr)
            return 2
        key = new_key()
        stored = StoredKey(
            id="key_" + secrets.token_hex(8),
            team_id=team,
            name=args.name,
            fingerprint=key_fingerprint(key),
            created_ms=now_ms,
            scopes=format_scopes(scopes),
        )
        await store.create_key(stored, key_digest(key))
        print(key)
        print(
            f"created {stored.id} for team {team} with scopes {stored.scopes} "
            f"(fingerprint {stored.fingerprint}). "
            "The key above is shown only now: store it.",
            file=sys.stderr,
        )
        return 0
    if args.command == "list":
        rows = [("id", "team", "name", "scopes", "fingerprint", "created", "revoked")]
        for k in await store.list_keys():
            revoked = "-" if k.revoked_ms is None else format_timestamp(k.revoked_ms)
            created = format_timestamp(k.created_ms)
            listed = ",".join(k.scopes.split())
            rows.append((k.id, k.team_id, k.name or "-", listed, k.fingerprint, created, revoked))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        return 0
    if await store.revoke_key(args.id, now_ms=now_ms):
        ttl = Settings(api_keys={}).key_cache_ttl_s
        print(f"revoked {args.id}: every instance refuses it within {ttl:g} s")
        return 0
    print(f"dnc keys: no active key {args.id!r}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from reference_server.storage.postgres_migrate import MigrationError

    try:
        return asyncio.run(_run(args))
    except MigrationError as error:
        print(f"dnc keys: {error}", file=sys.stderr)
    except ServiceUnavailable:
        print("dnc keys: the database cannot be reached", file=sys.stderr)
    return 1
