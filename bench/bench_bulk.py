"""Bulk checks and exports under the documented limits, while another client deletes entries.

A real `dnc serve` (its own process, the documented 60 s window: DNC_RATE_WINDOW_S unset) holds
5,000 entries. A concurrent deleter of the same team removes entries at its write limit for the
whole run. Side by side, in the same run:

- 10,000 prospects (a quarter of them listed, in every documented spelling) checked with
  `DncClient.check_many` (a snapshot matched locally) against the seeds' way, one check per URL
  at the 60-per-minute read limit: a sample of per-URL checks is measured and extrapolated;
- an export of the whole list with `DncClient.snapshot` against naive offset paging (what the
  seeds' `fetchAllDNCEntries` does), counting skipped and repeated entries.

Figures are printed, never asserted. Aims (issue 9): the check in <= 5 s and <= 10 reads.

    .venv/bin/python -m bench bulk
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dnc_client import DncClient, DncEntry, DncError

REPO_ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-bulk-key-not-a-secret"
DELETER_KEY = "bench-bulk-deleter-key-not-a-secret"
TEAM = "team_bench_bulk"
LISTED = 5_000
PROSPECTS = 10_000
SAMPLE_CHECKS = 10
SEEDS_CHECK_INTERVAL_S = 1.0  # the seeds' "Rate limit protection" wait, = 60 reads a minute


class Counting(httpx.BaseTransport):
    """Counts requests per (method, path) on their way out."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.counts: dict[tuple[str, str], int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path.removeprefix("/v1"))
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def take(self) -> dict[tuple[str, str], int]:
        counts, self.counts = self.counts, {}
        return counts


@contextmanager
def dnc_serve(folder: Path) -> Iterator[str]:
    from contract_tests.embedded import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DNC_RATE_WINDOW_S"}
    env["DNC_API_KEYS"] = f"{KEY}:{TEAM},{DELETER_KEY}:{TEAM}"
    command = [sys.executable, "-m", "dnc", "serve", "--port", str(port)]
    command += ["--db", str(folder / "bench.sqlite3"), "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/dnc", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("dnc serve did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def person(number: int) -> str:
    return f"https://linkedin.com/in/prospect-{number:05d}"


SPELLINGS = (
    "https://www.linkedin.com/in/prospect-{n:05d}/",
    "LINKEDIN.COM/IN/PROSPECT-{n:05d}",
    "linkedin.com/in/prospect-{n:05d}",
    "in/prospect-{n:05d}",
    "https://linkedin.com/in/prospect-{n:05d}",
)


def prospects(rng: random.Random) -> list[str]:
    """10,000 prospects: 2,500 of the 5,000 listed people, 7,500 others, shuffled."""
    listed = rng.sample(range(LISTED), PROSPECTS // 4)
    others = range(LISTED, LISTED + PROSPECTS - len(listed))
    urls = [rng.choice(SPELLINGS).format(n=n) for n in [*listed, *others]]
    rng.shuffle(urls)
    return urls


class Deleter(threading.Thread):
    """Deletes random entries of the team as fast as its write limit allows, until stopped."""

    def __init__(self, base_url: str, ids: list[str]) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.ids = ids
        self.deleted: set[str] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        rng = random.Random(7)
        with DncClient(self.base_url, DELETER_KEY, max_wait_s=5) as api:
            while not self.stopped.is_set() and self.ids:
                entry_id = self.ids.pop(rng.randrange(len(self.ids)))
                try:
                    api.delete(entry_id)
                    self.deleted.add(entry_id)
                except DncError:
                    continue


def reads(counts: dict[tuple[str, str], int]) -> str:
    pages, checks = counts.get(("GET", "/dnc"), 0), counts.get(("GET", "/dnc/check"), 0)
    return f"{pages} list reads + {checks} checks"


def main() -> None:
    rng = random.Random(2025)
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="dnc-bench-bulk-") as tmp,
        dnc_serve(Path(tmp)) as base_url,
    ):
        counting = Counting()
        with DncClient(base_url, KEY, transport=counting) as api:
            seeded = api.add_many([person(n) for n in range(LISTED)])
            assert all(o.status == "added" for o in seeded)
            before: list[DncEntry] = api.snapshot()
            counting.take()
            deleter = Deleter(base_url, [e.id for e in before])
            deleter.start()
            time.sleep(1.0)  # the deleter is at work before the first read

            urls = prospects(rng)
            started = time.perf_counter()
            outcomes = api.check_many(urls)
            check_s = time.perf_counter() - started
            check_counts = counting.take()

            sample = [person(n) for n in rng.sample(range(LISTED), SAMPLE_CHECKS)]
            started = time.perf_counter()
            for url in sample:
                api.check(url)
            per_check_s = (time.perf_counter() - started) / SAMPLE_CHECKS
            counting.take()

            started = time.perf_counter()
            exported = api.snapshot()
            export_s = time.perf_counter() - started
            export_counts = counting.take()

            started = time.perf_counter()
            naive: list[DncEntry] = []
            offset = 0
            while True:
                page = api.list(1000, offset)
                naive += page.entries
                if page.total < page.limit:
                    break
                offset += page.limit
            naive_s = time.perf_counter() - started
            naive_counts = counting.take()
            deleter.stopped.set()
            deleter.join(timeout=10)
            after = {e.id for e in api.snapshot()}

    by_url = {e.url: e.id for e in before}
    wrong = 0
    for url, outcome in zip(urls, outcomes, strict=True):
        key = "https://linkedin.com/in/" + url.lower().rstrip("/").rsplit("/", 1)[-1]
        entry_id = by_url.get(key)
        listed_throughout = entry_id is not None and entry_id in after
        if listed_throughout and outcome.on_list is not True:
            wrong += 1  # a listed person reported as not listed: must never happen
        if entry_id is None and outcome.on_list is not False:
            wrong += 1
    exported_ids = [e.id for e in exported]
    naive_ids = [e.id for e in naive]
    skipped_naive = len(after - set(naive_ids))
    skipped_snapshot = len(after - set(exported_ids))
    twice_naive = len(naive_ids) - len(set(naive_ids))
    twice_snapshot = len(exported_ids) - len(set(exported_ids))
    seeds_way_s = PROSPECTS * max(per_check_s, SEEDS_CHECK_INTERVAL_S)

    print(f"concurrent deleter removed {len(deleter.deleted)} entries during the run")
    print()
    print(f"{'10,000 prospects vs 5,000 entries':<40} {'time':>12}  requests")
    print(f"{'  check_many (snapshot, local match)':<40} {check_s:>10.2f} s  {reads(check_counts)}")
    print(
        f"{'  seeds way (1 check/URL, 60/min)':<40} {seeds_way_s / 60:>8.0f} min  "
        f"{PROSPECTS} checks (sample of {SAMPLE_CHECKS}: {per_check_s * 1000:.0f} ms each, "
        f"paced to {SEEDS_CHECK_INTERVAL_S:.0f} s)"
    )
    print(f"{'  answers wrong':<40} {wrong:>12}")
    print()
    print(f"{'export of the whole list':<40} {'time':>12}  requests   entries  twice  skipped")
    print(
        f"{'  snapshot() (aligned by $id)':<40} {export_s:>10.2f} s  {reads(export_counts):<22}"
        f" {len(exported_ids):>5} {twice_snapshot:>6} {skipped_snapshot:>8}"
    )
    print(
        f"{'  naive offset paging':<40} {naive_s:>10.2f} s  {reads(naive_counts):<22}"
        f" {len(naive_ids):>5} {twice_naive:>6} {skipped_naive:>8}"
    )


if __name__ == "__main__":
    main()
