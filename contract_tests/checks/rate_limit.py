"""Rate limits per team over the rolling window: 30 writes (add+delete), 60 reads (check+list),
10 batches; a 429 carries the code, a message and resetTime (ms) inside the window; requests are
admitted again after resetTime; one team's exhaustion does not throttle another team.

Each scenario starts from a drained bucket (no request for a whole window), spends exactly the
documented limit (sent over BURST_WORKERS parallel connections, so that a slow server can still
be exhausted within a short window; only the numbers of admitted and refused answers count,
never their order), sends one more (expected 429), lets team B send one, then waits for
resetTime. A burst that took too long for the window to be sure it was still full (see
`unmeasured`) makes the tests that need its 429 "not measured", never passed or failed.

The rolling-window test (`rolling_window_conformance`) tells a rolling window from a fixed one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import pytest

from contract_tests import seeds
from contract_tests.checks.common import envelope_conformance, fail
from contract_tests.checks.delete import unknown_id
from contract_tests.client import DncClient, Exchange
from contract_tests.config import LIMITS, ROLLING_TEST_MAX_WINDOW_S
from contract_tests.context import NOT_MEASURED, Ctx

SETTLE_S = 0.5
BURST_WORKERS = 12
# A server may keep request times in whole seconds: a request can then leave the window up to
# this much earlier than exactly one window after it arrived.
RESOLUTION_S = 1.0


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
    window_s: float = 60.0

    @property
    def span_s(self) -> float:
        """From the first request of the burst leaving to the answer to the one over the limit."""
        sent = [ex.sent_at for ex in self.burst]
        done = [ex.received_at for ex in [*self.burst, self.over] if ex is not None]
        return max(done) - min(sent) if sent and done else 0.0

    def unmeasured(self) -> str | None:
        """Why the burst proves nothing: the request over the limit was admitted, but the burst
        took so long that its first requests may already have left a rolling window (with up to
        RESOLUTION_S of rounding on the server's side)."""
        if self.over is None or self.over.status == 429 or not self.burst:
            return None
        if any(ex.status == 429 for ex in self.burst):
            return None
        allowed = self.window_s - min(RESOLUTION_S, self.window_s / 2)
        if self.span_s < allowed:
            return None
        return (
            f"{NOT_MEASURED}the {self.limit + 1} requests of bucket {self.bucket} took "
            f"{self.span_s:.2f} s, too long for a {self.window_s:g} s window (the first ones may "
            "have left it already; slow server or network?): the limit could not be measured"
        )


def _server_time(ex: Exchange) -> float | None:
    raw = ex.headers.get("date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return None


def server_skew_s(ex: Exchange) -> float | None:
    """How far the server's clock runs ahead of ours, from its Date header (1 s resolution:
    the estimate is the middle of the possible range), or None without a usable header."""
    server_now = _server_time(ex)
    if server_now is None:
        return None
    return server_now + 0.5 - (ex.sent_at + ex.received_at) / 2


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


def parallel(send: Callable[[int], Exchange], indexes: Sequence[int]) -> list[Exchange]:
    """Send the requests over up to BURST_WORKERS connections; answers in index order."""
    if len(indexes) <= 1:
        return [send(i) for i in indexes]
    with ThreadPoolExecutor(max_workers=min(BURST_WORKERS, len(indexes))) as pool:
        return list(pool.map(send, indexes))


def _burst(ctx: Ctx, spec: Spec) -> Scenario:
    scenario = Scenario(spec.bucket, LIMITS[spec.bucket], spec.seed, window_s=ctx.config.window_s)
    scenario.burst = parallel(lambda i: spec.spend(ctx.a, i), range(scenario.limit))
    if any(ex.status == 429 for ex in scenario.burst):
        return scenario
    if spec.bucket in ("write", "read"):
        # The other operation of the bucket must be refused too (add -> delete, check -> list):
        # a bucket shared in name only lets the second kind through. Both are sent at once.
        scenario.over, scenario.over_other = parallel(
            lambda i: spec.spend(ctx.a, i), [scenario.limit, scenario.limit + 1]
        )
    else:
        scenario.over = spec.spend(ctx.a, scenario.limit)
    if scenario.over.status != 429:
        return scenario
    if ctx.b_client is not None:
        scenario.other_team = spec.spend(ctx.b_client, 0)
    return scenario


def _after_reset(ctx: Ctx, scenario: Scenario, spec: Spec) -> None:
    over = scenario.over
    if over is None or over.status != 429:
        return
    reset = _reset_s(over)
    window = ctx.config.window_s
    estimated = server_skew_s(over)
    skew = 0.0
    if estimated is not None:
        # The server's clock runs ahead of ours (Date header, 1 s resolution): wait by our
        # clock. A clock that may run behind only makes the wait longer, which is harmless.
        skew = estimated if estimated > 1.0 else min(estimated, 0.0)
    if reset is None:
        return
    reset -= skew
    if not (over.received_at - 5 <= reset <= over.received_at + window + 5):
        return
    delay = reset - time.time() + SETTLE_S
    if delay > 0:
        time.sleep(delay)
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
    # The burst is sent in parallel: every delete needs an entry that exists before it starts.
    for _ in range(LIMITS["write"] // 2 - len(backlog)):
        backlog.append(str(ctx.add_entry(ctx.fresh_url("rl-backlog"))["$id"]))
    plan = write_plan(len(backlog))
    own: list[str] = []
    lock = threading.Lock()

    def spend(client: DncClient, i: int) -> Exchange:
        target = None
        if client is ctx.a and i < len(plan) and plan[i] == "delete":
            with lock:
                target = backlog.pop() if backlog else own.pop() if own else None
        if target is not None:
            return client.delete(target, paced=False, retry_429=False)
        if client is ctx.a and i == len(plan) + 1:  # the second request over the limit: a delete
            return client.delete(unknown_id(), paced=False, retry_429=False)
        url = ctx.fresh_url(f"rl-write-{client.team.lower()}")
        ex = client.add(url, paced=False, retry_429=False)
        if client is ctx.a and ex.status == 201 and isinstance(ex.data, dict):
            with lock:
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
    reason = s.unmeasured()
    if reason is not None:
        pytest.skip(reason)
    if s.over is None or s.over.status != 429:
        got = s.over.status if s.over is not None else "nothing"
        raise fail(
            f"Bucket {s.bucket}: request {s.limit + 1} within one window must answer 429, got "
            f"{got}.",
            s.over,
            s.seed,
        )
    if s.over_other is not None and s.over_other.status != 429:
        span = s.over_other.received_at - min(ex.sent_at for ex in s.burst)
        if span >= s.window_s - min(RESOLUTION_S, s.window_s / 2):
            pytest.skip(
                f"{NOT_MEASURED}the {s.limit + 2} requests of bucket {s.bucket} took "
                f"{span:.2f} s, too long for a {s.window_s:g} s window: whether the bucket's "
                "other operation is refused too could not be measured"
            )
        raise fail(
            f"Bucket {s.bucket}: after {s.limit} requests the bucket's other operation must be "
            f"refused too, got {s.over_other.status}.",
            s.over_other,
            s.seed,
        )


def each_scenario(scenarios: Sequence[Scenario], check: Callable[[Scenario], None]) -> None:
    """Run `check` on every scenario that produced its 429; the others are failed (no 429 from
    a burst that was fast enough) or make the test "not measured" (a burst too slow)."""
    unmeasured = []
    for s in scenarios:
        if s.over is None or s.over.status != 429:
            reason = s.unmeasured()
            if reason is None:
                raise AssertionError(
                    f"Bucket {s.bucket}: no 429 was produced to inspect (see the limit test)."
                )
            unmeasured.append(reason)
            continue
        check(s)
    if unmeasured:
        pytest.skip("; ".join(unmeasured))


def rejection_body_conformance(s: Scenario, window_s: float, skew_s: float) -> None:
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
    # resetTime lies within one window of the answer, by our clock (up to `skew_s` of clock
    # difference) or by the server's own clock (its Date header, 1 s resolution).
    windows = [(ex.sent_at - skew_s, ex.received_at + window_s + skew_s)]
    server_now = _server_time(ex)
    if server_now is not None:
        windows.append((server_now - 1.0, server_now + 2 + window_s))
    if not any(lo <= reset <= hi for lo, hi in windows):
        raise fail(
            f"resetTime {body['resetTime']} ({reset - ex.received_at:+.2f} s from the answer) "
            "is not a moment within "
            f"the {window_s:g} s window (tolerance {skew_s:g} s for clock skew, "
            "DNC_CLOCK_SKEW_S; the Date header was considered too).",
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


# -- rolling, not fixed ------------------------------------------------------------------------
@dataclass
class RollingRun:
    """What the rolling-window test saw, phase by phase (all exchanges spend the batch bucket)."""

    window_s: float
    burst: list[Exchange] = field(default_factory=list)
    probes: list[Exchange] = field(default_factory=list)
    refill: Exchange | None = None  # the first probe admitted (a1)
    second: list[Exchange] = field(default_factory=list)  # phase 2 burst
    final: list[Exchange] = field(default_factory=list)  # the requests one window after a1

    @property
    def sent(self) -> list[Exchange]:
        return [*self.burst, *self.probes, *self.second, *self.final]


def _admitted(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [ex for ex in exchanges if ex.status != 429]


def _until_refused(send: Callable[[int], Exchange], start: int, size: int) -> list[Exchange]:
    """Rounds of `size` parallel requests until one is refused (at most three rounds)."""
    out: list[Exchange] = []
    for r in range(3):
        out += parallel(send, range(start + r * size, start + (r + 1) * size))
        if any(ex.status == 429 for ex in out):
            break
    return out


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def rolling_window_conformance(ctx: Ctx) -> RollingRun:
    """A bucket refills only as its requests age out of the rolling window.

    Phase 1: from a drained batch bucket, a burst until refused (the first request leaves at
    s1), then a probe every W/8 until one is admitted at a1: a rolling window admits nothing
    before s1 + W (less RESOLUTION_S for a server counting in whole seconds).

    Phase 2 (deterministic for a fixed window): a burst until refused at about a1 + W/2 fills
    the window again; at about a1 + W (just past the next boundary of a fixed window that
    opened at a1) N requests are sent. A fixed window has refilled and admits all N; a rolling
    window admits at most k, the number of requests that can have left it since it was full
    (every request of the test is counted, refused ones too, since a server may count those;
    a request's time may be rounded down by up to RESOLUTION_S). N = k + 1 <= limit.
    """
    w = ctx.config.window_s
    limit = LIMITS["batch"]
    run = RollingRun(window_s=w)
    if w > ROLLING_TEST_MAX_WINDOW_S and not ctx.config.rolling_window_test:
        pytest.skip(
            f"{NOT_MEASURED}the rolling-window test takes about 2.5 windows "
            f"({2.5 * w:.0f} s with a {w:g} s window): run it with --rolling-window-test"
        )
    if w <= RESOLUTION_S * 1.25:
        pytest.skip(f"{NOT_MEASURED}a {w:g} s window is too short to tell rolling from fixed")
    marker = ctx.config.marker

    def send(i: int) -> Exchange:
        return ctx.a.batch([f"{marker}-invalid-roll-{i}"], paced=False, retry_429=False)

    ctx.pacer.drain("A", "batch")
    run.burst = _until_refused(send, 0, limit + 1)
    refused = [ex for ex in run.burst if ex.status == 429]
    admitted = _admitted(run.burst)
    if not refused or not admitted:
        pytest.skip(f"{NOT_MEASURED}the batch bucket could not be exhausted (see the limit test)")
    s1 = min(ex.sent_at for ex in admitted)
    # Phase 1: probes every W/8 (fewer than the limit per window, so that a server counting
    # refused requests still refills).
    step = w / 8
    counter = len(run.burst)
    tick = max(ex.received_at for ex in run.burst)
    deadline = tick + 2 * w + 1
    while time.time() < deadline:
        tick += step
        _sleep_until(tick)
        ex = send(counter)
        counter += 1
        run.probes.append(ex)
        if ex.status != 429:
            run.refill = ex
            break
    a1 = run.refill
    if a1 is None:
        pytest.skip(
            f"{NOT_MEASURED}no request was admitted within two windows after the burst "
            "(see test_requests_are_admitted_again_after_reset_time)"
        )
    if a1.received_at < s1 + w - RESOLUTION_S:
        raise fail(
            f"The batch bucket was exhausted by a burst starting at t=0 and admitted a request "
            f"again at t={a1.received_at - s1:.2f} s, before the burst's first request left the "
            f"rolling {w:g} s window (tolerance {RESOLUTION_S:g} s): the window is not rolling "
            "(a fixed window or a continuously refilled bucket?).",
            a1,
            seeds.RATE_ROLLING,
        )
    # Phase 2.
    before = [*run.burst, *run.probes[:-1]]
    previous = max(ex.sent_at for ex in before)  # the last refused request before a1
    latency = max(ex.received_at - ex.sent_at for ex in [*run.probes, *run.burst])
    margin = max(0.05, 0.03 * w)
    t2 = a1.received_at + w + margin
    t2_duration = 2 * latency + 0.05
    tb = t2 + t2_duration - w + RESOLUTION_S + margin
    _sleep_until(tb)
    run.second = _until_refused(send, counter, limit + 1)
    counter += len(run.second)
    refused2 = [ex for ex in run.second if ex.status == 429]
    if not refused2:
        pytest.skip(f"{NOT_MEASURED}the second burst was never refused")
    full_at = max(ex.sent_at for ex in refused2)  # the window was full when it arrived

    def may_have_left(until: float) -> int:
        """Requests that may have counted when the window was full and left it by `until`."""
        return sum(
            1
            for ex in run.sent
            if ex.received_at > full_at - w and ex.sent_at - RESOLUTION_S <= until - w
        )

    k = may_have_left(t2 + t2_duration)
    n = k + 1
    if n > limit:
        pytest.skip(f"{NOT_MEASURED}too many requests may have left the window ({k})")
    _sleep_until(t2)
    run.final = parallel(send, range(counter, counter + n))
    k = may_have_left(max(ex.received_at for ex in run.final))
    got = len(_admitted(run.final))
    if got > k:
        raise fail(
            f"One window after the bucket refilled (t={a1.received_at - s1:.2f} s) and was "
            f"filled again, {got} of {n} requests were admitted, but at most {k} request(s) can "
            f"have aged out of a rolling {w:g} s window since it was full: the bucket was "
            "refilled at once, as a fixed window does.",
            run.final[-1],
            seeds.RATE_ROLLING,
        )
    fixed_shows = (
        max(ex.received_at for ex in run.second) < previous + w
        and min(ex.sent_at for ex in run.final) > a1.received_at + w
        and n > k
    )
    if not fixed_shows:
        pytest.skip(
            f"{NOT_MEASURED}the requests took too long (latency {latency:.2f} s) to tell a "
            f"rolling {w:g} s window from a fixed one"
        )
    return run
