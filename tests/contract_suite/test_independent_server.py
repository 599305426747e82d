"""No false positives: the suite passes against an independent implementation of the API
(tests/independent_server, written from the seed pages and openapi.yaml only, never from the
reference server), in both of its variants, which make other legal choices than dnc-kit
wherever `x-dnc-decisions` allows one, also slowed down by 45 ms a request and with its clock
2 s ahead, and in random combinations of legal choices (tests/independent_server/switchboard.py,
seeded). Their different choices show as warnings, never as failures."""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from .harness import SuiteRun, run_suite, serve_independent

pytestmark = pytest.mark.e2e

SLOW_AND_SKEWED = ("--latency-ms", "45", "--clock-skew-s", "2")
# The switchboard's random combinations of legal choices: new seeds every day (the same in
# every pytest-xdist worker), DNC_SWITCHBOARD_SEEDS=1,2 replays given ones; each seed is in the
# test id, to reproduce with `python -m tests.independent_server --seed N`.
_TODAY = int(datetime.now(UTC).strftime("%Y%m%d"))
SEEDS = [int(s) for s in os.environ.get("DNC_SWITCHBOARD_SEEDS", "").split(",") if s.strip()] or [
    random.Random(_TODAY).randrange(1_000_000) + i for i in range(2)
]
CONFIGS: dict[str, tuple[str, ...]] = {
    "variant_a": ("a",),
    "variant_b": ("b",),
    "variant_a_slow_and_skewed": ("a", *SLOW_AND_SKEWED),
    "variant_b_slow_and_skewed": ("b", *SLOW_AND_SKEWED),
    **{f"switchboard_seed_{seed}": ("a", "--seed", str(seed)) for seed in SEEDS},
}


def _run(config: tuple[str, ...]) -> SuiteRun:
    with serve_independent(*config) as base_url:
        return run_suite(base_url, [])


@pytest.fixture(scope="module")
def runs() -> dict[str, SuiteRun]:
    with ThreadPoolExecutor(max_workers=len(CONFIGS)) as pool:
        return dict(zip(CONFIGS, pool.map(_run, CONFIGS.values()), strict=True))


@pytest.mark.parametrize("config", CONFIGS)
def test_the_suite_passes_against_the_independent_implementation(
    runs: dict[str, SuiteRun], config: str
) -> None:
    run = runs[config]
    assert not run.failed, f"{config}: failed {sorted(run.failed)}\n{run.output[-6000:]}"
    assert run.returncode == 0, run.output[-6000:]
    assert run.verdict["verdict"] == "pass"
    assert len(run.passed) + len(run.skipped) >= 70, run.output[-3000:]
    # Every other legal choice it makes shows as a warning naming its decision or case.
    assert run.verdict["summary"]["warn"] > 0 or config.startswith("switchboard")


# Issue 22's false positive: Schemathesis' coverage phase sends `url=null&url=null`; a server
# that reads one of the values and answers 200 `onList: false` for an unreadable url makes
# legal choices (decisions repeated-params and check-invalid-url).
LENIENT_CHECK = {
    "first_value": ("a", "--set", "check_unreadable_not_listed=true"),
    "last_value": ("b", "--set", "check_unreadable_not_listed=true"),
}


@pytest.mark.parametrize("config", LENIENT_CHECK)
def test_generated_requests_never_fail_a_server_that_reads_a_repeated_url_as_one_value(
    config: str,
) -> None:
    with serve_independent(*LENIENT_CHECK[config]) as base_url:
        run = run_suite(base_url, ["-m", "schema"])
    assert run.returncode == 0, f"failed {sorted(run.failed)}\n{run.output[-6000:]}"
    tolerated = {
        t["decision"] for c in run.verdict["schemathesis"]["checks"] for t in c["tolerated"]
    }
    assert "check-invalid-url" in tolerated, run.verdict["schemathesis"]["checks"]
