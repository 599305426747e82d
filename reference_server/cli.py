"""`dnc serve`: run the reference server under uvicorn.

    dnc serve [--host 127.0.0.1] [--port 8765] [--db PATH | --database-url URL]
              [--redis-url URL] [--workers N] [--no-migrate] [--rate-window-s S]

Environment: DNC_API_KEYS="key1:team_a,key2:team_b", DNC_RATE_WINDOW_S, DNC_DB,
DNC_DATABASE_URL, DNC_REDIS_URL. Without DNC_API_KEYS and without keys stored in the database
(`dnc keys create`), two demo teams get fresh keys, printed once to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from starlette.types import ASGIApp

from dnc_kit import serving
from dnc_kit.contract import DEFAULT_WINDOW_S
from dnc_kit.settings import (
    SettingsError,
    default_data_dir,
    positive_seconds,
    read_environment,
)
from reference_server.app import create_app
from reference_server.logs import configure_logging, log_event
from reference_server.settings import ConfigError, Settings
from reference_server.workers import API_PATH, serve_workers, worker_settings_env

__all__ = ["announce_listening", "build_parser", "default_db_path", "main", "serve"]

DEMO_TEAMS = ("team_demo_a", "team_demo_b")


def default_db_path(data_dir: Path | None = None) -> Path:
    """`dnc serve`'s SQLite file: in the data folder (DNC_DATA_DIR) unless DNC_DB names one."""
    return (data_dir or default_data_dir()) / "reference.sqlite3"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dnc serve",
        description="Run the dnc-kit reference DNC API server (openapi.yaml).",
        epilog="Env: DNC_API_KEYS=key1:team_a,key2:team_b  DNC_RATE_WINDOW_S  DNC_DB  "
        "DNC_DATABASE_URL  DNC_REDIS_URL",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--db", help="SQLite file or :memory: (default: $DNC_DB or user data dir)")
    parser.add_argument(
        "--database-url", help="PostgreSQL instead of SQLite (default: $DNC_DATABASE_URL)"
    )
    parser.add_argument(
        "--redis-url", help="shared rate limits and check cache (default: $DNC_REDIS_URL)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes on one port (N > 1 needs Redis)"
    )
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not apply pending PostgreSQL migrations at start (refuse an outdated schema)",
    )
    parser.add_argument(
        "--rate-window-s",
        help=f"rolling window in seconds (DNC_RATE_WINDOW_S; default {DEFAULT_WINDOW_S:g})",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.add_argument(
        "--no-access-log", action="store_true", help="log only errors, not every request"
    )
    return parser


def _demo_keys() -> dict[str, str]:
    return {f"dnc_demo_{secrets.token_urlsafe(24)}": team for team in DEMO_TEAMS}


def _announce_demo_keys(keys: Mapping[str, str]) -> None:
    # Deliberately a plain banner, not a log record: the only place a key is ever printed.
    lines = ["No DNC_API_KEYS set: created two demo teams. Their keys (shown only now):"]
    lines += [f"  {team}: {key}" for key, team in keys.items()]
    lines.append('Set DNC_API_KEYS="key:team,..." to choose your own.')
    print("\n".join(lines), file=sys.stderr, flush=True)


def announce_listening(url: str) -> None:
    """The JSON record, then the readiness line (`dnc_kit.serving.READY_LINE`)."""
    log_event("listening", url=url)
    serving.announce_ready(url)


def _refusal(
    args: argparse.Namespace, database_url: str | None, redis_url: str | None, db: str
) -> str | None:
    if args.workers < 1:
        return "--workers must be at least 1"
    if args.workers > 1 and not redis_url:
        return (
            f"--workers {args.workers} needs --redis-url (or DNC_REDIS_URL): without a shared "
            "Redis every worker would keep its own rate limits and check cache, so the limits "
            "would multiply and a check could miss an add made through another worker"
        )
    if args.workers > 1 and not database_url and db == ":memory:":
        return "--workers > 1 cannot share a :memory: database: use a file or --database-url"
    return None


def _prepare_database(database_url: str, migrate: bool) -> str | None:
    """Apply pending migrations (or check the schema): None if ready, else the reason."""
    from reference_server.storage.postgres_migrate import (
        MigrationError,
        require_current,
    )
    from reference_server.storage.postgres_migrate import (
        migrate as apply_migrations,
    )

    try:
        if migrate:
            report = asyncio.run(apply_migrations(database_url))
            log_event("migrated", before=report.before, after=report.after)
        else:
            asyncio.run(require_current(database_url))
    except MigrationError as error:
        return str(error)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(getattr(logging, args.log_level.upper()))
    try:  # flag > environment > default, every value checked by dnc_kit.settings
        environment = read_environment()
        window = (
            None
            if args.rate_window_s is None
            else positive_seconds(args.rate_window_s, "--rate-window-s")
        )
    except SettingsError as error:
        print(f"dnc serve: {error}", file=sys.stderr)
        return 2
    database_url = args.database_url or environment.database_url
    redis_url = args.redis_url or environment.redis_url
    db = args.db or environment.db_path or str(default_db_path(environment.data_dir))
    refusal = _refusal(args, database_url, redis_url, db)
    if refusal:
        print(f"dnc serve: {refusal}", file=sys.stderr)
        return 2
    stored_keys = database_url is not None or _sqlite_has_stored_keys(db)
    demo = None if environment.api_keys or stored_keys else _demo_keys()
    try:
        settings = Settings.from_env(
            default_api_keys=demo,
            stored_keys=stored_keys,
            db_path=db,
            database_url=database_url,
            redis_url=redis_url,
            rate_window_s=window,
        )
    except ConfigError as error:
        print(f"dnc serve: {error}", file=sys.stderr)
        return 2
    if database_url is not None:
        problem = _prepare_database(database_url, migrate=not args.no_migrate)
        if problem:
            print(f"dnc serve: {problem}", file=sys.stderr)
            return 2
    if demo is not None:
        _announce_demo_keys(demo)
    log_event(
        "starting",
        teams=sorted(set(settings.api_keys.values())),
        db="postgresql" if database_url else str(settings.db_path),
        redis=redis_url is not None,
        workers=args.workers,
        rate_window_s=settings.rate_window_s,
    )
    if args.workers > 1:
        env = worker_settings_env(
            settings, access_log=not args.no_access_log, log_level=args.log_level
        )
        return serve_workers(args.host, args.port, args.workers, env, announce_listening)
    app = create_app(settings, access_log=not args.no_access_log)
    try:
        return 0 if serve(app, args.host, args.port) else 1
    except OSError as error:  # the address is taken or not ours: one line, no traceback
        print(f"dnc serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1


def _sqlite_has_stored_keys(db: str) -> bool:
    from reference_server.storage.sqlite import has_active_keys

    return has_active_keys(db)


def serve(app: ASGIApp, host: str, port: int, *, loop: str = "auto", http: str = "auto") -> bool:
    """Run `app` until SIGINT/SIGTERM (`dnc_kit.serving.run`); True if it ever listened.

    Shared with the benchmarks so that every app they compare is served the same way.
    """
    return serving.run(
        app,
        serving.bind_socket(host, port),
        path=API_PATH,
        on_ready=lambda url: log_event("listening", url=url),
        lifespan="on",  # a storage that fails to open must stop the server, not be skipped
        timeout_graceful_shutdown=10,
        loop=loop,
        http=http,
    )
