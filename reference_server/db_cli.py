"""`dnc db`: the PostgreSQL schema.

    dnc db migrate [--database-url URL] [--to VERSION]   apply pending migrations (idempotent)
    dnc db status  [--database-url URL]                  show the schema version

The URL defaults to $DNC_DATABASE_URL; it may be a superuser's or the database owner's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from dnc_kit.settings import read_environment

__all__ = ["database_url_from", "main"]


def database_url_from(args: argparse.Namespace, prog: str) -> str | None:
    url = args.database_url or read_environment().database_url
    if not url:
        print(f"{prog}: give --database-url or set DNC_DATABASE_URL", file=sys.stderr)
        return None
    return url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dnc db", description="Manage the PostgreSQL schema.")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply pending migrations (idempotent)")
    migrate.add_argument("--database-url", help="default: $DNC_DATABASE_URL")
    migrate.add_argument("--to", type=int, help="stop at this version (default: the latest)")
    status = commands.add_parser("status", help="show the schema version")
    status.add_argument("--database-url", help="default: $DNC_DATABASE_URL")
    return parser


async def _status(url: str) -> int:
    import psycopg

    from reference_server.storage.postgres_migrate import schema_version

    async with await psycopg.AsyncConnection.connect(url, connect_timeout=10) as conn:
        return await schema_version(conn)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = database_url_from(args, "dnc db")
    if url is None:
        return 2
    import psycopg

    from reference_server.storage.postgres_migrate import MigrationError, migrate
    from reference_server.storage.postgres_schema import latest_version

    try:
        if args.command == "status":
            version = asyncio.run(_status(url))
            state = "up to date" if version == latest_version() else "run `dnc db migrate`"
            print(f"schema version {version} of {latest_version()} ({state})")
            return 0
        report = asyncio.run(migrate(url, target=args.to))
    except MigrationError as error:
        print(f"dnc db: {error}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as error:
        print(
            f"dnc db: cannot connect to PostgreSQL: {str(error).splitlines()[0]}", file=sys.stderr
        )
        return 1
    if report.applied:
        print(f"migrated the schema from version {report.before} to {report.after}")
    else:
        print(f"schema already at version {report.after}; nothing to do")
    return 0
