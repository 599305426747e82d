"""The suite's own building blocks, without a server: fixture cases stay under the run prefix,
the pacer never exceeds a bucket, the write scenario mixes both operations."""

from __future__ import annotations

import time

import httpx

from contract_tests.checks.rate_limit import Scenario, write_plan
from contract_tests.client import Exchange
from contract_tests.config import RunConfig
from contract_tests.fixtures import normalization_cases
from contract_tests.pacing import Pacer, bucket_for
from contract_tests.report import FAIL, NOT_MEASURED, PASS, Verdict
from contract_tests.sender import paced_send

PREFIX = "dnc-conformance-0badc0de-"


def test_every_normalization_case_sent_carries_the_run_prefix() -> None:
    cases, _ = normalization_cases(PREFIX)
    assert cases
    for case in cases:
        assert PREFIX in case.input, case
        if case.expected is not None:
            assert case.expected.startswith("https://linkedin.com/in/" + PREFIX), case


def test_every_documented_normalization_case_is_measured() -> None:
    cases, skipped = normalization_cases(PREFIX)
    assert not [s for s in skipped if s.documented]
    assert sum(1 for c in cases if c.documented) >= 40


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_pacer_never_admits_more_than_the_limit_within_a_window() -> None:
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(95):
        pacer.acquire("A", "write")
        sent.append(clock.now)
        pacer.record_done("A", "write")
        clock.now += 0.001
    for i, start in enumerate(sent):
        in_window = [t for t in sent[i:] if t - start < 2.0]
        assert len(in_window) <= 30


def test_a_drain_waits_a_full_window_after_the_last_request() -> None:
    clock = FakeClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    pacer.acquire("A", "read")
    pacer.record_done("A", "read")
    last = clock.now
    pacer.drain("A", "read")
    assert clock.now - last >= 2.0


def test_operations_map_to_the_documented_buckets() -> None:
    assert bucket_for("POST", "/dnc") == bucket_for("DELETE", "/dnc/dnc_x") == "write"
    assert bucket_for("GET", "/dnc/check") == bucket_for("GET", "/dnc") == "read"
    assert bucket_for("POST", "/dnc/batch") == "batch"


def test_the_write_scenario_deletes_the_backlog_and_at_least_half_of_its_writes() -> None:
    for backlog, deletes in ((0, 15), (10, 15), (15, 15), (22, 22), (40, 30)):
        plan = write_plan(backlog)
        assert len(plan) == 30
        assert plan.count("delete") == deletes
        assert plan.count("add") == 30 - deletes


def test_the_run_url_lies_under_the_prefix() -> None:
    run = RunConfig(base_url="http://x/v1", api_key="k", second_api_key=None, run_id="0badc0de")
    assert run.url_for("x") == "https://linkedin.com/in/" + PREFIX + "x"


def test_the_verdict_fails_on_a_failure_and_never_counts_not_measured_as_passed() -> None:
    verdict = Verdict(target="t", run_id="r", window_s=2)
    verdict.record("a", "check", PASS)
    verdict.record("b", "isolation", NOT_MEASURED, "no second key")
    passed_so_far = verdict.passed
    assert passed_so_far
    assert verdict.category_outcome("isolation")[0] == NOT_MEASURED
    verdict.record("c", "list", FAIL, "boom")
    assert not verdict.passed
    assert verdict.category_outcome("list")[0] == FAIL


def _exchange(status: int, sent_at: float, received_at: float) -> Exchange:
    return Exchange(
        team="A",
        method="GET",
        path="/dnc",
        params=None,
        sent=None,
        status=status,
        headers=httpx.Headers(),
        body=None,
        text="",
        sent_at=sent_at,
        received_at=received_at,
    )


def test_a_burst_too_slow_for_the_window_is_not_measured_but_a_fast_one_is() -> None:
    def scenario(step: float) -> Scenario:
        s = Scenario("A", "read", 60, "seed", window_s=2.0)
        s.burst = [_exchange(200, i * step, i * step + 0.01) for i in range(60)]
        s.over = _exchange(200, 60 * step, 60 * step + 0.01)
        return s

    assert scenario(0.045).unmeasured() is not None  # 61 requests in 2.7 s
    assert scenario(0.005).unmeasured() is None  # 61 requests in 0.3 s: the limit is broken
    refused = scenario(0.045)
    refused.over = _exchange(429, 2.7, 2.71)
    assert refused.unmeasured() is None


def test_the_one_paced_sender_waits_out_an_unplanned_429_until_reset_time_and_counts_it() -> None:
    pacer = Pacer(2.0)
    answers = iter([429, 201])
    sent: list[float] = []

    def send() -> Exchange:
        sent.append(time.time())
        ex = _exchange(next(answers), sent[-1], sent[-1])
        ex.body = {"error": "rate_limit_exceeded", "resetTime": int((sent[0] + 0.3) * 1000)}
        return ex

    got = paced_send(send, pacer=pacer, team="A", bucket="write", window_s=2.0)
    assert got.status == 201
    assert len(sent) == 2
    assert sent[1] >= sent[0] + 0.3  # not before resetTime
    assert pacer.unplanned_429 == {"write": 1}
    refused = paced_send(
        lambda: _exchange(429, 0, 0), pacer=pacer, team="A", bucket="read", window_s=2.0,
        retry_429=False,
    )  # fmt: skip
    assert refused.status == 429
