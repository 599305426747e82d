"""Speed at scale (issue 23), one table: every figure beside its baseline from the same run.

1. Many teams (100k entries over 2,000 teams, a different key per request, 16 connections):
   the bare Starlette endpoint, the embedded default (SQLite, one process), PostgreSQL + Redis
   on one process and on 2 workers. Interleaved rounds; the median and the spread of the
   rounds, the ratio and p99 over the bare endpoint's of the same round, and CPU time per
   check summed over every process that served it (workers, PostgreSQL, Redis; /proc).
2. A batch of 1,000 new URLs, 5 times, on the embedded default and on PostgreSQL + Redis.
3. Growth: one team at 10k, 100k and 1M entries (seeded straight into the store) on both
   backends: check p50/p99, a list page at offset 0 and at the last page, and the client's
   `snapshot()` of the whole list at raised limits (time, server CPU). Ratios against 10k.

The table is printed and appended to bench/RESULTS.md with the date, the commit and the load
average. `DNC_BENCH_SIZES=10000,100000` skips the 1M size (it costs about 3 minutes).

    python -m bench speed          # or: python -m bench.bench_speed
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import anyio

from bench.bench_reference_server import RAISED_LIMITS, REPO_ROOT, Connection
from bench.many_teams import PER_TEAM, TEAMS, _check_path, _key, _seed_postgres, _seed_sqlite
from bench.proc_cpu import cpu_seconds, load_average

CLIENTS = 16
RUN_S = 3.0
WARMUP_S = 0.5
WARM_S = 3.0  # per server, once, before the rounds
ROUNDS = 3
CONFIGS = ("bare", "embedded", "pg-1", "pg-2")
LABELS = {
    "bare": "bare Starlette JSON (ceiling)",
    "embedded": "check, embedded (SQLite, 1 process)",
    "pg-1": "check, PostgreSQL + Redis, 1 process",
    "pg-2": "check, PostgreSQL + Redis, 2 workers",
}
GROWTH_TEAM = "team_growth"
GROWTH_KEY = "bench-growth-key-not-a-secret"
RESULTS = Path(__file__).with_name("RESULTS.md")


def _sizes() -> list[int]:
    raw = os.environ.get("DNC_BENCH_SIZES", "10000,100000,1000000")
    return sorted(int(size) for size in raw.split(",") if size.strip())


# -- servers (each in its own process, served like `dnc serve`) ------------------------------


def _serve(kind: str, db: str) -> int:
    from reference_server import Settings, create_app
    from reference_server.cli import serve
    from reference_server.logs import configure_logging

    configure_logging(30)
    if kind == "bare":
        from bench.bench_reference_server import _serve as serve_bare

        return serve_bare("bare", db)
    if kind in ("embedded", "pg-2"):
        from bench.many_teams import serve_teams

        return serve_teams("teams" if kind == "embedded" else "teams-pg", db, "asyncio", "h11")
    pg_url, redis_url = os.environ["BENCH_PG_URL"], os.environ["BENCH_REDIS_URL"]
    if kind == "pg-1":
        from bench.many_teams import api_keys

        keys = api_keys()
    else:
        keys = {GROWTH_KEY: GROWTH_TEAM}
        pg_url = os.environ["BENCH_GROWTH_PG_URL"]
    shared = kind != "growth-sqlite"
    settings = Settings(
        api_keys=keys,
        db_path=db,
        rate_limits=RAISED_LIMITS,
        database_url=pg_url if shared else None,
        redis_url=redis_url if shared else None,
    )
    return 0 if serve(create_app(settings, access_log=False), "127.0.0.1", 0) else 1


@dataclass
class Server:
    host: str
    port: int
    pids: list[int]  # every process whose CPU this server's requests cost

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"


@contextlib.contextmanager
def _server(kind: str, db: Path, stores: list[int]) -> Iterator[Server]:
    from tests.processes import running

    command = [sys.executable, "-m", "bench.bench_speed", "serve", kind, str(db)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with running(command, cwd=REPO_ROOT, env=env, timeout_s=60) as process:
        address = urlsplit(process.url)
        yield Server(str(address.hostname), int(address.port or 0), [process.pid, *stores])


# -- load ----------------------------------------------------------------------------------


@dataclass
class Run:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu_s: float  # over every process of the server, warm-up excluded
    cpu_split_s: list[float] = field(default_factory=list)  # per root: server, [pg, redis]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / max(1, self.requests)


async def _drive(
    server: Server,
    path_for: Callable[[int, int], str],
    key_for: Callable[[int, int], str],
    seconds: float = RUN_S,
) -> Run:
    """CLIENTS keep-alive connections back to back; CPU sampled at the end of the warm-up."""
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, stop_at = start + WARMUP_S, start + WARMUP_S + seconds
    cpu_at: list[list[float]] = []

    def sample() -> list[float]:
        return [cpu_seconds([pid]) for pid in server.pids]

    async def sample_cpu() -> None:
        await asyncio.sleep(WARMUP_S)
        cpu_at.append(sample())

    async def worker(w: int) -> None:
        nonlocal errors
        conn = await Connection.open(server.host, server.port)
        i = 0
        try:
            while (now := loop.time()) < stop_at:
                status, _ = await conn.request("GET", path_for(w, i), key=key_for(w, i))
                i += 1
                if now >= measure_from:
                    latencies.append((loop.time() - now) * 1000)
                    errors += status >= 300
        finally:
            conn.close()

    await asyncio.gather(sample_cpu(), *(worker(w) for w in range(CLIENTS)))
    split = [after - before for after, before in zip(sample(), cpu_at[0], strict=True)]
    return Run(len(latencies), seconds, latencies, errors, sum(split), split)


def _bare_path(w: int, i: int) -> str:
    return "/v1/ping"


async def _rounds(servers: dict[str, Server]) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {name: [] for name in servers}
    for name, server in servers.items():
        # Unmeasured: what a long-running deployment has done long ago (SQLite's pages in
        # memory; on replicas every worker holding the small teams' lists).
        await _drive(server, _bare_path if name == "bare" else _check_path, _key, WARM_S)
    for _ in range(ROUNDS):
        for name, server in servers.items():
            path = _bare_path if name == "bare" else _check_path
            runs[name].append(await _drive(server, path, _key))
    return runs


async def _batches(server: Server, key: str, tag: str) -> list[float]:
    conn = await Connection.open(server.host, server.port)
    try:
        times = []
        for b in range(5):
            entries = ",".join(f'{{"url":"in/new-{tag}-{b}-{i:04d}"}}' for i in range(1000))
            body = f'{{"entries":[{entries}]}}'.encode()
            started = time.perf_counter()
            status, _ = await conn.request("POST", "/v1/dnc/batch", body, key)
            times.append((time.perf_counter() - started) * 1000)
            if status != 201:
                raise RuntimeError(f"batch answered {status}")
        return times
    finally:
        conn.close()


# -- growth: one team at 10k, 100k, 1M -----------------------------------------------------


def _growth_url(n: int) -> str:
    return f"https://linkedin.com/in/g-{n:07d}"


def _rows(start: int, stop: int) -> Iterator[tuple[str, str, str, int]]:
    # A thousand entries per millisecond: many ties, which the list order must break by seq.
    for n in range(start, stop):
        yield f"dnc_growth{n:010d}", GROWTH_TEAM, _growth_url(n), 1_700_000_000_000 + n // 1000


def _grow_sqlite(db: Path, start: int, stop: int) -> None:
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO entries (id, team_id, url, created_ms) VALUES (?, ?, ?, ?)",
            _rows(start, stop),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _grow_postgres(url: str, start: int, stop: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy("COPY entries (id, team_id, url, created_ms) FROM STDIN") as copy:
            for row in _rows(start, stop):
                copy.write_row(row)
        conn.execute("VACUUM ANALYZE entries")  # index-only scans need the visibility map


@dataclass
class Growth:
    size: int
    check: Run
    top_ms: float
    last_ms: float
    snapshot_s: float = 0.0
    snapshot_cpu_s: float = 0.0
    snapshot_entries: int = 0
    notes: list[str] = field(default_factory=list)


async def _timed_get(server: Server, path: str, repeat: int = 5) -> float:
    conn = await Connection.open(server.host, server.port)
    try:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            status, _ = await conn.request("GET", path, key=GROWTH_KEY)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")
        return statistics.median(times)
    finally:
        conn.close()


async def _snapshot(server: Server) -> tuple[float, float, int]:
    from dnc_client import AsyncDncClient

    cpu = cpu_seconds(server.pids)
    started = time.perf_counter()
    async with AsyncDncClient(
        server.base_url, GROWTH_KEY, rate_limits=RAISED_LIMITS, timeout_s=120
    ) as api:
        entries = await api.snapshot()
    return time.perf_counter() - started, cpu_seconds(server.pids) - cpu, len(entries)


async def _measure_growth(server: Server, size: int, tag: str) -> Growth:
    def path(w: int, i: int) -> str:
        n = (w * 1_000_003 + i * 7919) % size
        url = _growth_url(n) if i % 2 else f"linkedin.com/in/ghost-{tag}-{w:02d}-{i:07d}"
        return "/v1/dnc/check?url=" + quote(url, safe="")

    check = await _drive(server, path, lambda w, i: GROWTH_KEY, seconds=2.0)
    top = await _timed_get(server, "/v1/dnc?limit=1000&offset=0")
    last = await _timed_get(server, f"/v1/dnc?limit=1000&offset={size - 1000}")
    growth = Growth(size, check, top, last)
    growth.snapshot_s, growth.snapshot_cpu_s, growth.snapshot_entries = await _snapshot(server)
    return growth


def _growth(root: Path, pg: object, redis_pid: int, pg_pid: int) -> dict[str, list[Growth]]:
    from reference_server.storage.postgres_migrate import migrate

    db = root / "growth.sqlite3"
    anyio.run(_seed_sqlite_schema, db)
    pg_url: str = pg.create_database("growth")  # type: ignore[attr-defined]
    anyio.run(migrate, pg_url)
    os.environ["BENCH_GROWTH_PG_URL"] = pg_url
    results: dict[str, list[Growth]] = {"sqlite": [], "postgres": []}
    seeded = 0
    with (
        _server("growth-sqlite", db, []) as lite,
        _server("growth-pg", db, [pg_pid, redis_pid]) as pgs,
    ):
        for size in _sizes():
            started = time.perf_counter()
            _grow_sqlite(db, seeded, size)
            lite_s = time.perf_counter() - started
            started = time.perf_counter()
            _grow_postgres(pg_url, seeded, size)
            pg_s = time.perf_counter() - started
            seeded = size
            print(
                f"  grew one team to {size:,}: SQLite {lite_s:.1f} s, PostgreSQL {pg_s:.1f} s",
                flush=True,
            )
            results["sqlite"].append(anyio.run(_measure_growth, lite, size, f"s{size}"))
            results["postgres"].append(anyio.run(_measure_growth, pgs, size, f"p{size}"))
    return results


async def _seed_sqlite_schema(db: Path) -> None:
    from reference_server.storage import SqliteStorage

    storage = SqliteStorage(db)
    await storage.open()
    await storage.close()


# -- the table -----------------------------------------------------------------------------


def _spread(values: list[float], fmt: str) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def _table(
    runs: dict[str, list[Run]],
    batches: dict[str, list[float]],
    growth: dict[str, list[Growth]],
    load_before: str,
) -> list[str]:
    lines = [
        f"load average before {load_before}, after {load_average()} (2 cores, shared); "
        f"median (min-max) of {ROUNDS} interleaved rounds after {WARM_S:.0f} s of warm-up "
        f"per server, {CLIENTS} connections, "
        f"{TEAMS:,} teams x {PER_TEAM} entries, a different key per request",
        "",
        "| configuration | req/s | p50 ms | p99 ms | ratio to bare | p99 / bare p99 "
        "| CPU ms per request (all processes) | CPU / bare |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    bare = runs["bare"]
    for name in CONFIGS:
        mine = runs[name]
        ratios = [m.rps / b.rps for m, b in zip(mine, bare, strict=True)]
        p99x = [m.pct(0.99) / b.pct(0.99) for m, b in zip(mine, bare, strict=True)]
        cpux = [
            m.cpu_ms_per_request / b.cpu_ms_per_request for m, b in zip(mine, bare, strict=True)
        ]
        errors = sum(m.errors for m in mine)
        lines.append(
            f"| {LABELS[name]}{f' ({errors} errors)' if errors else ''} "
            f"| {_spread([m.rps for m in mine], ',.0f')} "
            f"| {_spread([m.pct(0.5) for m in mine], '.2f')} "
            f"| {_spread([m.pct(0.99) for m in mine], '.2f')} "
            f"| {_spread(ratios, '.2f')} | {_spread(p99x, '.2f')} "
            f"| {_spread([m.cpu_ms_per_request for m in mine], '.3f')} "
            f"| {_spread(cpux, '.2f')} |"
        )
    for name in ("pg-1", "pg-2"):
        shares = [
            statistics.median(m.cpu_split_s[i] * 1000 / max(1, m.requests) for m in runs[name])
            for i in range(3)
        ]
        lines.append(
            f"\n{LABELS[name]}: CPU ms per request by process, median: server "
            f"{shares[0]:.3f}, PostgreSQL {shares[1]:.3f}, Redis {shares[2]:.3f}"
        )
    lines += ["", "| batch of 1,000 new URLs | median of 5 | min-max |", "| --- | --- | --- |"]
    for name, times in batches.items():
        lines.append(
            f"| {LABELS[name].removeprefix('check, ')} | {statistics.median(times):.1f} ms "
            f"| {min(times):.1f}-{max(times):.1f} ms |"
        )
    lines += [
        "",
        "| one team of | backend | check req/s | check p50 ms | check p99 ms (x 10k) "
        "| list offset 0 ms | list last page ms | snapshot() s | snapshot server CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend, sizes in growth.items():
        first = sizes[0]
        for g in sizes:
            ratio = g.check.pct(0.99) / max(first.check.pct(0.99), 1e-9)
            lines.append(
                f"| {g.size:,} | {backend} | {g.check.rps:,.0f} | {g.check.pct(0.5):.2f} "
                f"| {g.check.pct(0.99):.2f} ({ratio:.2f}x) | {g.top_ms:.1f} | {g.last_ms:.1f} "
                f"| {g.snapshot_s:.2f} ({g.snapshot_entries:,} entries) "
                f"| {g.snapshot_cpu_s:.2f} |"
            )
    return lines


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    from tests.real_servers import PostgresServer, RedisServer

    load_before = load_average()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dnc-bench-speed-") as tmp:
        root = Path(tmp)
        db = root / "teams.sqlite3"
        with PostgresServer.started(root) as pg, RedisServer.started(root / "redis") as redis:
            pg_url = pg.create_database("bench")
            anyio.run(_seed_sqlite, db)
            anyio.run(_seed_postgres, pg_url)
            os.environ.update(BENCH_PG_URL=pg_url, BENCH_REDIS_URL=redis.url)
            print(f"  seeded {TEAMS * PER_TEAM:,} entries over {TEAMS:,} teams", flush=True)
            stores = [pg.pid, redis.process.pid]  # type: ignore[union-attr]
            with contextlib.ExitStack() as stack:
                servers = {
                    name: stack.enter_context(
                        _server(name, db, stores if name.startswith("pg") else [])
                    )
                    for name in CONFIGS
                }
                runs = anyio.run(_rounds, servers)
                print("  many-teams rounds done", flush=True)
                batches = {
                    "embedded": anyio.run(_batches, servers["embedded"], _key(0, 0), "e"),
                    "pg-2": anyio.run(_batches, servers["pg-2"], _key(0, 0), "p"),
                }
            growth = _growth(root, pg, redis.process.pid, pg.pid)  # type: ignore[union-attr]
    lines = _table(runs, batches, growth, load_before)
    print("\n" + "\n".join(lines))
    print(f"\nbench_speed total {time.perf_counter() - started:.0f} s")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(f"\n## {stamp}, commit {_commit()}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        raise SystemExit(_serve(sys.argv[2], sys.argv[3]))
    main()
