"""How long `dnc conformance` takes, and what it spends.

1. The whole suite (rate-limit tests included) against the embedded reference server with a
   2 s window.
2. Opt-in (DNC_BENCH_CONFORMANCE_60S=1): the whole suite at the documented 60 s window, side by
   side against `dnc serve` (its default window, DNC_RATE_WINDOW_S unset) and against the
   independent implementation (tests/independent_server, `--window-s 60`). Target: at most
   5 minutes, zero unplanned 429 answers, the rolling-window test measured.

Figures are printed, never asserted; they come from the suite's own verdict document.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.processes import free_port

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[1]


LONG_ENV = "DNC_BENCH_CONFORMANCE_60S"
ROLLING = "test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}


@contextmanager
def _server(cmd: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_suite(label: str, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        verdict_path = Path(tmp) / "verdict.json"
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "contract_tests.cli", "-q", f"--report-json={verdict_path}"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        verdict = json.loads(verdict_path.read_text()) if verdict_path.exists() else {}
    rolling = sorted(
        {r["status"] for r in verdict.get("results", []) if r["test"].startswith(ROLLING)}
    )
    summary = verdict.get("summary", {})
    print(f"{label}: {seconds:.0f} s wall, exit code {proc.returncode}, verdict "
          f"{verdict.get('verdict', '?')}")  # fmt: skip
    print(
        f"  results: {summary.get('pass', '?')} pass, {summary.get('fail', '?')} fail, "
        f"{summary.get('warn', '?')} warn, {summary.get('not_measured', '?')} not measured"
    )
    print(f"  requests per bucket: {verdict.get('requests', '?')}")
    print(f"  unplanned 429s: {sum(verdict.get('unplanned_429', {}).values())}")
    print(f"  rolling-window test: {', '.join(rolling) or 'not run'}")
    for row in verdict.get("not_measured", []):
        print(f"  not measured: {row['id']}: {row['reason'][:160]}")
    if proc.returncode != 0:
        print(proc.stdout[-3000:])
    return {"seconds": seconds, "verdict": verdict}


def long_window_runs() -> None:
    key_a, key_b = f"ka_{secrets.token_hex(12)}", f"kb_{secrets.token_hex(12)}"
    suite_env = {
        **_clean_env(),
        "DNC_API_KEY": key_a,
        "DNC_SECOND_TEAM_API_KEY": key_b,
        "DNC_RATE_WINDOW_S": "60",
    }
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        serve_env = {**_clean_env(), "DNC_API_KEYS": f"{key_a}:team_bench_a,{key_b}:team_bench_b"}
        cmd = [sys.executable, "-m", "reference_server", "--port", str(port),
               "--db", str(Path(tmp) / "dnc.sqlite3"), "--no-access-log"]  # fmt: skip
        with _server(cmd, port, serve_env) as base_url:
            run_suite("dnc serve, 60 s window", {**suite_env, "DNC_BASE_URL": base_url})
    port = free_port()
    keys = f"{key_a}:team_a,{key_b}:team_b"
    cmd = [sys.executable, "-m", "tests.independent_server", "--port", str(port),
           "--keys", keys, "--window-s", "60", "--variant", "a"]  # fmt: skip
    with _server(cmd, port, _clean_env()) as base_url:
        run_suite(
            "independent server (variant a), 60 s window", {**suite_env, "DNC_BASE_URL": base_url}
        )


def main() -> None:
    print("dnc conformance: the whole suite, two teams")
    run_suite("embedded reference server, 2 s window", {**_clean_env(), "DNC_RATE_WINDOW_S": "2"})
    if os.environ.get(LONG_ENV) == "1":
        long_window_runs()
    else:
        print(f"(set {LONG_ENV}=1 to also time runs at the documented 60 s window)")


if __name__ == "__main__":
    main()
