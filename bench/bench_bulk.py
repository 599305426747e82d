"""Bulk checks and exports under the documented limits, while another client deletes entries.

A real `dnc serve` (its own process, the documented 60 s window: DNC_RATE_WINDOW_S unset) holds
5,000 entries. A concurrent deleter of the same team removes entries at its write limit for the
whole run. Side by side, in the same run:

- 10,000 prospects (a quarter of them listed) checked with `DncClient.check_many` (a snapshot
  matched locally) three times: in every documented spelling; in the spellings of real exports
  (`http://`, share links with `?utm_...`/`?trk=`, `uk.`/`de.`/`m.` hosts, `/details/...`
  sub-pages, padding: each shape learned with two checks, issue 20); and all `http://www.`,
  as sales tools emit them. Each starts on a fresh window, with a fresh client, as a user's run
  would; and against the seeds' way, one check per URL at the 60-per-minute read limit: a
  sample of per-URL checks is measured and extrapolated;
- an export of the whole list with `DncClient.snapshot` against naive offset paging (what the
  seeds' `fetchAllDNCEntries` does), counting skipped and repeated entries.

A concurrent writer of the same team adds and deletes entries at its write limit throughout.
Figures are printed, never asserted. Aims (issues 9, 20): each check in <= 15 s (aim 5 s),
0 answers wrong.

    .venv/bin/python -m bench bulk
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dnc_client import CheckOutcome, DncClient, DncEntry, DncError, documented_key
from dnc_client.shapes import spelling_of

REPO_ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-bulk-key-not-a-secret"
DELETER_KEY = "bench-bulk-deleter-key-not-a-secret"
TEAM = "team_bench_bulk"
LISTED = 5_000
PROSPECTS = 10_000
SAMPLE_CHECKS = 10
DOCUMENTED_WINDOW_S = 60.0
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
    from tests.processes import running

    env = {k: v for k, v in os.environ.items() if k != "DNC_RATE_WINDOW_S"}
    env["DNC_API_KEYS"] = f"{KEY}:{TEAM},{DELETER_KEY}:{TEAM}"
    command = [sys.executable, "-m", "dnc", "serve", "--port", "0"]
    command += ["--db", str(folder / "bench.sqlite3"), "--no-access-log", "--log-level", "warning"]
    with running(command, cwd=REPO_ROOT, env=env, timeout_s=30, grace_s=30) as server:
        yield server.url


def person(number: int) -> str:
    return f"https://linkedin.com/in/prospect-{number:05d}"


SPELLINGS = (
    "https://www.linkedin.com/in/prospect-{n:05d}/",
    "LINKEDIN.COM/IN/PROSPECT-{n:05d}",
    "linkedin.com/in/prospect-{n:05d}",
    "in/prospect-{n:05d}",
    "https://linkedin.com/in/prospect-{n:05d}",
)


EXPORT_SPELLINGS = (
    "http://www.linkedin.com/in/prospect-{n:05d}",
    "http://linkedin.com/in/prospect-{n:05d}/",
    "https://www.linkedin.com/in/prospect-{n:05d}?utm_source=share&utm_medium=member_desktop",
    "https://www.linkedin.com/in/prospect-{n:05d}?trk=public_profile_browsemap",
    "https://uk.linkedin.com/in/prospect-{n:05d}",
    "https://de.linkedin.com/in/prospect-{n:05d}/",
    "https://m.linkedin.com/in/prospect-{n:05d}",
    "https://www.linkedin.com/in/prospect-{n:05d}/details/experience/",
    " https://www.linkedin.com/in/prospect-{n:05d}/ ",
    *SPELLINGS,
)
HTTP_WWW = ("http://www.linkedin.com/in/prospect-{n:05d}",)


def prospects(rng: random.Random, spellings: tuple[str, ...]) -> list[str]:
    """10,000 prospects: 2,500 of the 5,000 listed people, 7,500 others, shuffled."""
    listed = rng.sample(range(LISTED), PROSPECTS // 4)
    others = range(LISTED, LISTED + PROSPECTS - len(listed))
    urls = [rng.choice(spellings).format(n=n) for n in [*listed, *others]]
    rng.shuffle(urls)
    return urls


def key_of(url: str) -> str:
    spelling = spelling_of(url)
    key = documented_key(url) if spelling is None else spelling.key
    assert key is not None, url
    return key


class Deleter(threading.Thread):
    """Adds a new entry (never a prospect) and deletes a random one, turn about, as fast as the
    team's write limit allows, until stopped."""

    def __init__(self, base_url: str, ids: list[str]) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.ids = ids
        self.deleted: set[str] = set()
        self.added = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        rng = random.Random(7)
        with DncClient(self.base_url, DELETER_KEY, max_wait_s=5) as api:
            while not self.stopped.is_set() and self.ids:
                try:
                    api.add(f"https://linkedin.com/in/newcomer-{self.added:05d}")
                    self.added += 1
                    entry_id = self.ids.pop(rng.randrange(len(self.ids)))
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

            # Each case on a fresh window and a fresh client, as a user's run would start.
            cases: list[
                tuple[str, list[str], list[CheckOutcome], float, dict[tuple[str, str], int]]
            ]
            cases = []
            for name, spellings in (
                ("documented spellings", SPELLINGS),
                ("export spellings (mixed)", EXPORT_SPELLINGS),
                ("all http://www.", HTTP_WWW),
            ):
                urls = prospects(rng, spellings)
                time.sleep(DOCUMENTED_WINDOW_S + 1)
                case_counting = Counting()
                with DncClient(base_url, KEY, transport=case_counting) as case_api:
                    started = time.perf_counter()
                    outcomes = case_api.check_many(urls)
                    cases.append(
                        (
                            name,
                            urls,
                            list(outcomes),
                            time.perf_counter() - started,
                            case_counting.take(),
                        )
                    )

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
    wrong: dict[str, tuple[int, int]] = {}
    for name, urls, outcomes, _, _ in cases:
        false_negatives = false_positives = 0
        for url, outcome in zip(urls, outcomes, strict=True):
            entry_id = by_url.get(key_of(url))
            listed_throughout = entry_id is not None and entry_id in after
            on_list = outcome.on_list
            if listed_throughout and on_list is not True:
                false_negatives += 1  # a listed person reported as not listed: never
            if entry_id is None and on_list is not False:
                false_positives += 1
        wrong[name] = (false_negatives, false_positives)
    exported_ids = [e.id for e in exported]
    naive_ids = [e.id for e in naive]
    skipped_naive = len(after - set(naive_ids))
    skipped_snapshot = len(after - set(exported_ids))
    twice_naive = len(naive_ids) - len(set(naive_ids))
    twice_snapshot = len(exported_ids) - len(set(exported_ids))
    seeds_way_s = PROSPECTS * max(per_check_s, SEEDS_CHECK_INTERVAL_S)

    print(
        f"concurrent writer added {deleter.added} and removed {len(deleter.deleted)} entries"
        " during the run"
    )
    print()
    print(f"{'10,000 prospects vs 5,000 entries':<40} {'time':>12}  requests  wrong (FN/FP)")
    for name, _, _, seconds, counts in cases:
        negatives, positives = wrong[name]
        print(
            f"{'  check_many, ' + name:<40} {seconds:>10.2f} s  {reads(counts):<24}"
            f" {negatives}/{positives}"
        )
    print(
        f"{'  seeds way (1 check/URL, 60/min)':<40} {seeds_way_s / 60:>8.0f} min  "
        f"{PROSPECTS} checks (sample of {SAMPLE_CHECKS}: {per_check_s * 1000:.0f} ms each, "
        f"paced to {SEEDS_CHECK_INTERVAL_S:.0f} s)"
    )
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
