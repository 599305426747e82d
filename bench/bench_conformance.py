"""How long `dnc conformance` takes against the embedded reference server.

1. The whole suite (rate-limit tests included) with a 2 s window (target: at most 60 s).
2. Opt-in (DNC_BENCH_CONFORMANCE_60S=1): the whole suite paced for the documented 60 s window
   (target: at most 5 minutes and zero unplanned 429 answers).

Figures are printed, never asserted: request counts per bucket and unplanned 429s come from the
suite's own verdict lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[1]


LONG_ENV = "DNC_BENCH_CONFORMANCE_60S"


def run_suite(window_s: float) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    env["DNC_RATE_WINDOW_S"] = f"{window_s:g}"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "contract_tests.cli", "-q"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    out = proc.stdout
    summary = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?)\s*=*$", out, re.MULTILINE)
    requests = re.findall(r"^Requests per bucket: (.*)$", out, re.MULTILINE)
    unplanned = re.findall(r"^Unplanned 429 answers.*$", out, re.MULTILINE)
    print(f"window {window_s:g} s: {seconds:.1f} s wall, exit code {proc.returncode}")
    print(f"  tests: {summary[-1] if summary else '?'}")
    print(f"  requests per bucket: {requests[-1] if requests else '?'}")
    print(f"  {unplanned[-1] if unplanned else 'unplanned 429s: ?'}")
    if proc.returncode != 0:
        print(out[-3000:])


def main() -> None:
    print("dnc conformance against the embedded reference server (subprocess, two teams)")
    run_suite(2.0)
    if os.environ.get(LONG_ENV) == "1":
        run_suite(60.0)
    else:
        print(f"(set {LONG_ENV}=1 to also time a run paced for the documented 60 s window)")


if __name__ == "__main__":
    main()
