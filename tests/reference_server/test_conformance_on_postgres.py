"""The conformance suite passes against the multi-instance deployment: `dnc serve` with two
workers on PostgreSQL + Redis, run by `python -m contract_tests.cli` as a user would."""

from __future__ import annotations

import pytest

from dnc.main import main as dnc
from tests.contract_suite.harness import KEY_A, KEY_B, WINDOW_S, run_suite
from tests.real_servers import PostgresServer, RedisServer
from tests.reference_server.instances import dnc_serve

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

ROLLING = "test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window"


def test_the_suite_passes_against_two_workers_on_postgres_and_redis(
    pg_server: PostgresServer, redis_server: RedisServer
) -> None:
    url = pg_server.create_database("dnc_conformance")
    assert dnc(["db", "migrate", "--database-url", url]) == 0
    redis_server.flush()
    env = {
        "DNC_API_KEYS": f"{KEY_A}:team_selftest_a,{KEY_B}:team_selftest_b",
        "DNC_RATE_WINDOW_S": f"{WINDOW_S:g}",
    }
    args = ["--workers", "2", "--no-access-log", "--database-url", url]
    with dnc_serve(*args, "--redis-url", redis_server.url, env=env) as server:
        run = run_suite(server.base_url + "/v1", [])
        if run.skipped and all(name.startswith(ROLLING) for name in run.skipped):
            # The suite declines to judge rolling versus fixed windows when its requests were
            # slow (a loaded machine); that one measurement (per team) gets a second, quieter
            # chance, alone, and must then be measured and pass.
            retry = run_suite(server.base_url + "/v1", ["-m", "rate_limit", "-k", ROLLING])
            assert run.skipped <= retry.passed, retry.output[-3000:]
            assert not retry.failed, retry.output[-3000:]
            run.skipped, run.passed = set(), run.passed | retry.passed
    assert not run.failed, f"failed: {sorted(run.failed)}\n{run.output[-6000:]}"
    assert run.returncode == 0, run.output[-6000:]
    assert len(run.passed) >= 40, f"only {len(run.passed)} passed:\n{run.output[-3000:]}"
    assert not run.skipped, f"not measured: {sorted(run.skipped)}"
