"""Rate limits per team over the rolling window: 30 writes (add+delete), 60 reads (check+list),
10 batches; a 429 carries the code, a message and resetTime (ms) inside the window; requests are
admitted again after resetTime; one team's exhaustion does not throttle another team.

Each scenario starts from a drained bucket (no request for a whole window), spends exactly the
documented limit, sends one more (expected 429), lets team B send one, then waits for resetTime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import pytest

from contract_tests import seeds
from contract_tests.checks.common import envelope_conformance, fail
from contract_tests.checks.delete import unknown_id
from contract_tests.client import DncClient, Exchange
from contract_tests.config import LIMITS
from contract_tests.context import NOT_MEASURED, Ctx

CLOCK_TOLERANCE_S = 1.0
SETTLE_S = 0.5


@dataclass
class Scenario:
    bucket: str
    limit: int
    seed: str
    burst: list[Exchange] = field(default_factory=list)
    over: Exchange | None = None
    over_other: Exchange | None = None
    other_team: Exchange | None = None
    after_reset: Exchange | None = None
    waited_s: float = 0.0
    window_s: float = 60.0


def _server_time(ex: Exchange) -> float | None:
    raw = ex.headers.get("date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return None


def _reset_s(ex: Exchange) -> float | None:
    value = ex.json_object.get("resetTime")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) / 1000.0


@dataclass
class Spec:
    """How a scenario spends its bucket: spend(client, i) sends the i-th request."""

    bucket: str
    seed: str
    spend: Callable[[DncClient, int], Exchange]


def run_all(ctx: Ctx, specs: list[Spec]) -> dict[str, Scenario]:
    """Drain every bucket, run each burst, then wait for each resetTime: the waits of the
    buckets overlap, so the three scenarios cost about two windows in all."""
    teams = ["A"] + (["B"] if ctx.b_client is not None else [])
    for spec in specs:
        for team in teams:
            ctx.pacer.drain(team, spec.bucket)
    scenarios = {spec.bucket: _burst(ctx, spec) for spec in specs}
    for spec in specs:
        first = scenarios[spec.bucket]
        if first.over is not None and first.over.status != 429:
            # A fixed-window server may have rolled its window over during the burst: once more,
            # from a drained bucket.
            for team in teams:
                ctx.pacer.drain(team, spec.bucket)
            scenarios[spec.bucket] = _burst(ctx, spec)

    def reset_of(spec: Spec) -> float:
        over = scenarios[spec.bucket].over
        return (_reset_s(over) if over is not None else None) or 0.0

    by_reset = sorted(specs, key=reset_of)
    for spec in by_reset:
        _after_reset(ctx, scenarios[spec.bucket], spec)
    return scenarios


def _burst(ctx: Ctx, spec: Spec) -> Scenario:
    scenario = Scenario(spec.bucket, LIMITS[spec.bucket], spec.seed, window_s=ctx.config.window_s)
    for i in range(scenario.limit):
        ex = spec.spend(ctx.a, i)
        scenario.burst.append(ex)
        if ex.status == 429:
            return scenario
    scenario.over = spec.spend(ctx.a, scenario.limit)
    if scenario.over.status != 429:
        return scenario
    if spec.bucket in ("write", "read"):
        # The other operation of the bucket must be refused too (add -> delete, check -> list):
        # a bucket shared in name only lets the second kind through.
        scenario.over_other = spec.spend(ctx.a, scenario.limit + 1)
    if ctx.b_client is not None:
        scenario.other_team = spec.spend(ctx.b_client, 0)
    return scenario


def _after_reset(ctx: Ctx, scenario: Scenario, spec: Spec) -> None:
    over = scenario.over
    if over is None or over.status != 429:
        return
    reset = _reset_s(over)
    window = ctx.config.window_s
    if reset is None or not (over.received_at - 5 <= reset <= over.received_at + window + 5):
        return
    server_now = _server_time(over)
    skew = 0.0
    if server_now is not None and server_now - over.received_at > CLOCK_TOLERANCE_S:
        skew = server_now - over.received_at  # the server's clock runs ahead of ours
    delay = reset - skew - time.time() + SETTLE_S
    if delay > 0:
        time.sleep(delay)
        scenario.waited_s = delay
    scenario.after_reset = spec.spend(ctx.a, scenario.limit + 2)


def write_plan(backlog: int, limit: int = LIMITS["write"]) -> list[str]:
    """The order of adds and deletes spending the write bucket (both kinds, so sharing shows).

    Deletes first consume entries the run created earlier (which cleanup would otherwise delete
    one by one later): up to 25 deletes and 5 adds; without such a backlog, 15 × (add, delete).
    """
    deletes = min(25, backlog) if backlog >= limit // 2 else limit // 2
    adds = limit - deletes
    add_at = {round(k * limit / adds) for k in range(adds)}
    return ["add" if i in add_at else "delete" for i in range(limit)]


def write_spec(ctx: Ctx) -> Spec:
    """30 writes mixing adds and deletes (write_plan), then one more add (expected 429)."""
    backlog = [i for i, url in ctx.tracker.ids.get("A", {}).items() if ctx.config.marker in url]
    plan = write_plan(len(backlog))
    own: list[str] = []

    def spend(client: DncClient, i: int) -> Exchange:
        if client is ctx.a and i < len(plan) and plan[i] == "delete" and (backlog or own):
            target = backlog.pop() if backlog else own.pop()
            return client.delete(target, paced=False, retry_429=False)
        if client is ctx.a and i == len(plan) + 1:  # the second request over the limit: a delete
            return client.delete(unknown_id(), paced=False, retry_429=False)
        url = ctx.fresh_url(f"rl-write-{client.team.lower()}")
        ex = client.add(url, paced=False, retry_429=False)
        if client is ctx.a and ex.status == 201 and isinstance(ex.data, dict):
            own.append(str(ex.data.get("$id")))
        return ex

    return Spec("write", seeds.RATE_WRITE, spend)


def read_spec(ctx: Ctx) -> Spec:
    """30 × (check, list): 60 reads shared by check and list; then one more list."""

    def spend(client: DncClient, i: int) -> Exchange:
        if i % 2 == 0:
            return client.check(ctx.fresh_url("rl-read"), paced=False, retry_429=False)
        return client.list(limit=1, paced=False, retry_429=False)

    return Spec("read", seeds.RATE_READ, spend)


def batch_spec(ctx: Ctx) -> Spec:
    """10 batches holding one invalid URL (nothing is created); then one more."""

    def spend(client: DncClient, i: int) -> Exchange:
        return client.batch([f"{ctx.config.marker}-invalid-{i}"], paced=False, retry_429=False)

    return Spec("batch", seeds.RATE_BATCH, spend)


def limit_conformance(s: Scenario) -> None:
    limited = [i for i, ex in enumerate(s.burst) if ex.status == 429]
    if limited:
        ex = s.burst[limited[0]]
        raise fail(
            f"Bucket {s.bucket}: request {limited[0] + 1} of {s.limit} (from a drained bucket) "
            "was refused with 429.",
            ex,
            s.seed,
        )
    if s.over is not None and s.over.status != 429 and s.burst:
        span = s.over.received_at - s.burst[0].sent_at
        if span >= s.window_s:
            pytest.skip(
                f"{NOT_MEASURED}the {s.limit + 1} requests took {span:.1f} s, longer than the "
                f"{s.window_s:g} s window (slow network?): the limit could not be measured"
            )
    if s.over is None or s.over.status != 429:
        got = s.over.status if s.over is not None else "nothing"
        raise fail(
            f"Bucket {s.bucket}: request {s.limit + 1} within one window must answer 429, got "
            f"{got}.",
            s.over,
            s.seed,
        )
    if s.over_other is not None and s.over_other.status != 429:
        raise fail(
            f"Bucket {s.bucket}: after {s.limit} requests the bucket's other operation must be "
            f"refused too, got {s.over_other.status}.",
            s.over_other,
            s.seed,
        )


def rejection_body_conformance(s: Scenario, window_s: float) -> None:
    ex = s.over
    if ex is None or ex.status != 429:
        raise AssertionError(
            f"Bucket {s.bucket}: no 429 was produced to inspect (see the limit test)."
        )
    envelope_conformance(ex)
    body = ex.json_object
    if body.get("error") != "rate_limit_exceeded":
        raise fail(
            f"A 429 must carry error 'rate_limit_exceeded', got {body.get('error')!r}.",
            ex,
            seeds.RATE_429,
        )
    reset = _reset_s(ex)
    if reset is None or not isinstance(body.get("resetTime"), int):
        raise fail(
            "A 429 must carry resetTime as integer epoch milliseconds, got "
            f"{body.get('resetTime')!r}.",
            ex,
            seeds.RATE_429,
        )
    windows = [(ex.sent_at - CLOCK_TOLERANCE_S, ex.received_at + window_s + CLOCK_TOLERANCE_S)]
    server_now = _server_time(ex)
    if server_now is not None:
        windows.append(
            (server_now - CLOCK_TOLERANCE_S, server_now + 1 + window_s + CLOCK_TOLERANCE_S)
        )
    if not any(lo <= reset <= hi for lo, hi in windows):
        raise fail(
            f"resetTime {body['resetTime']} ({reset - ex.received_at:+.2f} s from the answer) "
            "is not a moment within "
            f"the {window_s:g} s window (tolerance {CLOCK_TOLERANCE_S:g} s for clock skew).",
            ex,
            seeds.RATE_429,
        )


def admitted_after_reset_conformance(s: Scenario) -> None:
    if s.over is None or s.over.status != 429:
        raise AssertionError(f"Bucket {s.bucket}: no 429 was produced (see the limit test).")
    ex = s.after_reset
    if ex is None:
        raise fail(
            "resetTime is unusable, so the retry could not be timed.", s.over, seeds.RATE_RESET
        )
    if ex.status == 429:
        raise fail(
            f"Bucket {s.bucket}: a request sent {SETTLE_S:g} s after resetTime was refused again.",
            ex,
            seeds.RATE_RESET,
        )


def other_team_conformance(s: Scenario) -> None:
    if s.over is None or s.over.status != 429:
        raise AssertionError(f"Bucket {s.bucket}: team A was never throttled (see the limit test).")
    ex = s.other_team
    if ex is None:
        raise AssertionError("no second team key: not measured")
    if ex.status == 429:
        raise fail(
            f"Team B was throttled in bucket {s.bucket} while only team A had spent it.",
            ex,
            seeds.RATE_TEAM,
        )
