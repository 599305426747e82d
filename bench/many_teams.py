"""The deployment figures of issue 11: 100k entries over 2,000 teams, a different key on every
request, 16 connections, the check beside a bare Starlette endpoint on the same uvicorn.

Configurations, each in its own subprocess, measured in interleaved rounds:
- bare Starlette JSON, asyncio + h11 and uvloop + httptools (the ceilings);
- the embedded default (SQLite, in-process limiter and cache), both ways;
- PostgreSQL + Redis with 2 workers (`dnc serve --workers 2`), both ways.
Then a batch of 1,000 new URLs, 5 times, on the embedded and the PostgreSQL configurations.
PostgreSQL and Redis are the real servers the tests use (tests/real_servers.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import anyio

from bench.bench_reference_server import (
    CLIENTS,
    RAISED_LIMITS,
    ROUNDS,
    Connection,
    LoadResult,
    _load,
    _server,
    _timed,
)

TEAMS = 2000
PER_TEAM = 50
# The "-fast" ones (uvloop + httptools) run only where `dnc-kit[fast]` is installed.
FAST = all(importlib.util.find_spec(name) for name in ("uvloop", "httptools"))
CONFIGS = [
    name
    for name in ["bare", "bare-fast", "teams", "teams-fast", "teams-pg", "teams-pg-fast"]
    if FAST or not name.endswith("-fast")
]


def team_key(t: int) -> str:
    return f"bench-key-{t:04d}-not-a-secret"


def team_id(t: int) -> str:
    return f"team_{t:04d}"


def api_keys() -> dict[str, str]:
    return {team_key(t): team_id(t) for t in range(TEAMS)}


def _url(t: int, j: int) -> str:
    return f"https://linkedin.com/in/p-{t:04d}-{j:03d}"


def serve_teams(kind: str, db: str, loop: str, http: str) -> int:
    """Server side (in the subprocess started by `bench_reference_server._server`)."""
    from reference_server import Settings, create_app
    from reference_server.cli import announce_listening, serve
    from reference_server.workers import serve_workers, worker_settings_env

    if kind == "teams":
        settings = Settings(api_keys=api_keys(), db_path=db, rate_limits=RAISED_LIMITS)
        return 0 if serve(create_app(settings, access_log=False), "127.0.0.1", 0,
                          loop=loop, http=http) else 1  # fmt: skip
    settings = Settings(
        api_keys=api_keys(),
        database_url=os.environ["BENCH_PG_URL"],
        redis_url=os.environ["BENCH_REDIS_URL"],
        rate_limits=RAISED_LIMITS,
    )
    env = worker_settings_env(settings, access_log=False, log_level="warning")
    return serve_workers("127.0.0.1", 0, 2, env, announce_listening, loop=loop, http=http)


async def _seed(storage: object) -> float:
    started = time.perf_counter()
    for t in range(TEAMS):
        urls = [_url(t, j) for j in range(PER_TEAM)]
        await storage.add_many(team_id(t), urls, actor="bench", now_ms=1_700_000_000_000)  # type: ignore[attr-defined]
    return time.perf_counter() - started


async def _seed_sqlite(db: Path) -> float:
    from reference_server.storage import SqliteStorage

    storage = SqliteStorage(db)
    await storage.open()
    try:
        return await _seed(storage)
    finally:
        await storage.close()


async def _seed_postgres(url: str) -> float:
    from reference_server.storage.postgres import PostgresStorage
    from reference_server.storage.postgres_migrate import migrate

    await migrate(url)
    storage = PostgresStorage(url)
    await storage.open()
    try:
        return await _seed(storage)
    finally:
        await storage.close()


def _pick(w: int, i: int) -> int:
    return (w * 7919 + i * 104_729) % TEAMS


def _check_path(w: int, i: int) -> str:
    t = _pick(w, i)
    url = _url(t, i % PER_TEAM) if i % 2 else f"linkedin.com/in/ghost-{w:02d}-{i:07d}"
    return "/v1/dnc/check?url=" + quote(url, safe="")


def _key(w: int, i: int) -> str:
    return team_key(_pick(w, i))


async def _rounds(addresses: dict[str, tuple[str, int]]) -> dict[str, LoadResult]:
    runs: dict[str, list[LoadResult]] = {}
    for _ in range(ROUNDS):
        for name, (host, port) in addresses.items():
            path = (lambda w, i: "/v1/ping") if name.startswith("bare") else _check_path
            runs.setdefault(name, []).append(await _load(host, port, path, key_for=_key))
    return {name: max(results, key=lambda r: r.rps) for name, results in runs.items()}


async def _batches(host: str, port: int, tag: str) -> list[float]:
    conn = await Connection.open(host, port)
    try:
        times = []
        for b in range(5):
            entries = ",".join(f'{{"url":"in/new-{tag}-{b}-{i:04d}"}}' for i in range(1000))
            body = f'{{"entries":[{entries}]}}'.encode()
            times.append(await _timed(conn, "POST", "/v1/dnc/batch", body, team_key(0)))
        return times
    finally:
        conn.close()


def _encoder_figures() -> str:
    """Microseconds to encode a check answer and a 1,000-entry list page: ours vs orjson."""
    import json
    import timeit

    from reference_server.responses import ApiJSONResponse

    entry = {
        "$id": "dnc_12345abcdeABCDE12345",
        "teamId": "team_0001",
        "url": "https://linkedin.com/in/p-0001-001",
        "$createdAt": "2025-11-18T10:30:00.000Z",
        "$updatedAt": "2025-11-18T10:30:00.000Z",
    }
    check = {"error": None, "data": {"onList": True, "entry": entry}}
    page = {"error": None, "data": {"entries": [entry] * 1000, "total": 1000}}
    ours = ApiJSONResponse.__new__(ApiJSONResponse)
    try:
        import orjson  # type: ignore[import-not-found, unused-ignore]

        other: tuple[str, object] = ("orjson", orjson.dumps)
    except ImportError:
        other = ("json.dumps (orjson not installed)", json.dumps)
    cells = []
    for name, body, n in (("check answer", check, 20_000), ("1,000-entry page", page, 50)):
        mine = timeit.timeit(lambda b=body: ours.render(b), number=n) / n * 1e6  # type: ignore[misc]
        fast = timeit.timeit(lambda b=body: other[1](b), number=n) / n * 1e6  # type: ignore[operator, misc]
        cells.append(f"{name}: {mine:.1f} us ours, {fast:.1f} us {other[0]}")
    return "; ".join(cells)


def run_many_teams() -> None:
    from tests.real_servers import PostgresServer, RedisServer

    with tempfile.TemporaryDirectory(prefix="dnc-bench-teams-") as tmp:
        root = Path(tmp)
        db = root / "teams.sqlite3"
        with PostgresServer.started(root) as pg, RedisServer.started(root / "redis") as redis:
            pg_url = pg.create_database("bench")
            sqlite_s = anyio.run(_seed_sqlite, db)
            pg_s = anyio.run(_seed_postgres, pg_url)
            print(
                f"\nseeded {TEAMS * PER_TEAM:,} entries over {TEAMS:,} teams: SQLite "
                f"{sqlite_s:.1f} s, PostgreSQL {pg_s:.1f} s (one transaction per team)",
                flush=True,
            )
            os.environ.update(BENCH_PG_URL=pg_url, BENCH_REDIS_URL=redis.url)
            with contextlib.ExitStack() as servers:
                addresses = {name: servers.enter_context(_server(name, db)) for name in CONFIGS}
                best = anyio.run(_rounds, addresses)
                batches = {
                    name: anyio.run(_batches, *addresses[name], name)
                    for name in CONFIGS
                    if name.startswith("teams")
                }
    load = os.getloadavg()
    print(
        f"\n{TEAMS:,} teams, a different key per request, {CLIENTS} connections, best of "
        f"{ROUNDS} rounds; load average before/after {load[0]:.2f} (2 cores, shared machine)"
    )
    print(f"  {'configuration':<44}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}{'p99x':>6}")
    labels = {
        "bare": "bare Starlette, asyncio + h11",
        "bare-fast": "bare Starlette, uvloop + httptools",
        "teams": "check, SQLite embedded, asyncio + h11",
        "teams-fast": "check, SQLite embedded, uvloop + httptools",
        "teams-pg": "check, PostgreSQL + Redis, 2 workers, asyncio",
        "teams-pg-fast": "check, PostgreSQL + Redis, 2 workers, uvloop",
    }
    for name in CONFIGS:
        result = best[name]
        ceiling = best["bare-fast" if name.endswith("-fast") else "bare"]
        print(
            f"  {labels[name]:<44}{result.rps:>8.0f}{result.pct(0.5):>8.2f}"
            f"{result.pct(0.99):>8.2f}{result.rps / ceiling.rps:>7.2f}"
            f"{result.pct(0.99) / ceiling.pct(0.99):>6.2f}"
            + (f"  ({result.errors} errors)" if result.errors else "")
        )
    print("  (ratio: req/s over the bare endpoint on the same loop; p99x: p99 over its p99)")
    if not FAST:
        print("  uvloop + httptools not installed (pip install 'dnc-kit[fast]'): not measured")
    print(f"  JSON encoding per response: {_encoder_figures()}")
    for name, times in batches.items():
        print(
            f"  batch of 1,000 new URLs, {labels[name].removeprefix('check, '):<40}"
            f"{statistics.median(times):>7.1f} ms median, {min(times):.1f} ms best"
        )


if __name__ == "__main__":
    run_many_teams()
