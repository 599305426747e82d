"""Rate limits per team over the rolling window: 30 writes (add+delete), 60 reads (check+list),
10 batches; a 429 carries the code, a message and resetTime (ms) inside the window; requests are
admitted again after resetTime; one team's exhaustion does not throttle the other team. Every
bucket is measured for both teams.

Each scenario starts from a drained bucket (no request for a whole window), spends exactly the
documented limit (sent over BURST_WORKERS parallel connections, so that a slow server can still
be exhausted within a short window; only the numbers of admitted and refused answers count,
never their order) and sends one more (expected 429). Per bucket, one team goes first; the
other team's first request follows while the first is exhausted (it must be admitted), then
the other team exhausts its own bucket. Team A goes first on the write bucket, team B on the
read bucket, so each direction is measured. A burst that took too long for the window to be
sure it was still full (see `unmeasured`) makes the tests that need its 429 "not measured",
never passed or failed.

The buckets are independent, so they run side by side (`run_buckets`) and their waits overlap;
the batch bucket's scenario is the first phase of the rolling-window test (`rolling_window.py`).
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
from contract_tests.cleanup import find_marked
from contract_tests.client import Exchange
from contract_tests.config import DOCUMENTED_WINDOW_S, LIMITS
from contract_tests.context import NOT_MEASURED, Ctx
from contract_tests.sender import sleep_until

SETTLE_S = 0.5
BURST_WORKERS = 12
# A server may keep request times in whole seconds: a request can then leave the window up to
# this much earlier than exactly one window after it arrived.
RESOLUTION_S = 1.0
# Which team exhausts each bucket first (the other team's first request then shows that it is
# not throttled): both directions are measured, each on its own bucket.
FIRST_TEAM = {"write": "A", "read": "B"}
# A burst too slow for the window is retried once only for windows this short.
RETRY_SLOW_MAX_WINDOW_S = 10.0


@dataclass
class Scenario:
    team: str
    bucket: str
    limit: int
    seed: str
    burst: list[Exchange] = field(default_factory=list)
    over: Exchange | None = None
    over_other: Exchange | None = None
    after_reset: Exchange | None = None
    window_s: float = DOCUMENTED_WINDOW_S
    # The other team's request while this team's bucket was exhausted (None: not measured).
    other_team: Exchange | None = None
    other_team_missing: str = ""  # why other_team is None

    @property
    def span_s(self) -> float:
        """From the first request of the burst leaving to the answer to the one over the limit."""
        sent = [ex.sent_at for ex in self.burst]
        done = [ex.received_at for ex in [*self.burst, self.over] if ex is not None]
        return max(done) - min(sent) if sent and done else 0.0

    @property
    def first_sent(self) -> float:
        return min((ex.sent_at for ex in self.burst), default=time.time())

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
            f"{NOT_MEASURED}the {self.limit + 1} requests of team {self.team}'s bucket "
            f"{self.bucket} took {self.span_s:.2f} s, too long for a {self.window_s:g} s window "
            "(the first ones may have left it already; slow server or network?): the limit "
            "could not be measured"
        )

    @property
    def exhausted(self) -> bool:
        return self.over is not None and self.over.status == 429


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


def reset_s(ex: Exchange) -> float | None:
    value = ex.json_object.get("resetTime")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) / 1000.0


def local_reset_s(ex: Exchange, window_s: float) -> float | None:
    """resetTime by our clock (corrected by the Date header when the server runs ahead), or
    None when it is missing or not a moment around the window."""
    reset = reset_s(ex)
    if reset is None:
        return None
    estimated = server_skew_s(ex)
    if estimated is not None and abs(estimated) > 1.0:
        # A clock difference the Date header shows (its resolution is 1 s, so the estimate may
        # exceed the true difference by up to 0.5 s): corrected by the least difference it
        # allows, the moment is never early by the server's clock. A smaller estimate is
        # within the header's resolution and SETTLE_S covers it; waiting longer there would
        # hide a resetTime that comes too early.
        reset -= estimated - 0.5
    if not (ex.received_at - 5 <= reset <= ex.received_at + window_s + 5):
        return None
    return reset


@dataclass
class Spec:
    """How a scenario spends one team's bucket: spend(i) sends the i-th request."""

    team: str
    bucket: str
    seed: str
    spend: Callable[[int], Exchange]


def parallel(send: Callable[[int], Exchange], indexes: Sequence[int]) -> list[Exchange]:
    """Send the requests over up to BURST_WORKERS connections; answers in index order."""
    if len(indexes) <= 1:
        return [send(i) for i in indexes]
    with ThreadPoolExecutor(max_workers=min(BURST_WORKERS, len(indexes))) as pool:
        return list(pool.map(send, indexes))


def spread_gap_s(ctx: Ctx, bucket: str) -> float:
    """With a long window the read burst itself is spread out (its first request a window/8
    ahead of the rest), so that the retry at its resetTime is the spread-out test's retry and
    costs no extra window; with a short window that test has a phase of its own."""
    return ctx.config.window_s / 8 if bucket == "read" and ctx.config.long_window else 0.0


def burst(ctx: Ctx, spec: Spec, first: int = 0) -> Scenario:
    """From a drained bucket: `limit` requests at once, then the one(s) over the limit. With
    first=1 the request 0 was already sent (the second team's first request, see run_bucket)."""
    scenario = Scenario(
        spec.team, spec.bucket, LIMITS[spec.bucket], spec.seed, window_s=ctx.config.window_s
    )
    gap = spread_gap_s(ctx, spec.bucket)
    if gap:
        # Spread out (spread_traffic.py): one request first, the rest a little later, so that
        # at resetTime only the first requests leave the window.
        head = [spec.spend(first)]
        sleep_until(head[0].received_at + gap)
        scenario.burst = head + parallel(spec.spend, range(first + 1, scenario.limit))
    else:
        scenario.burst = parallel(spec.spend, range(first, scenario.limit))
    if any(ex.status == 429 for ex in scenario.burst):
        return scenario
    if spec.bucket in ("write", "read"):
        # The other operation of the bucket must be refused too (add -> delete, check -> list):
        # a bucket shared in name only lets the second kind through. Both are sent at once.
        scenario.over, scenario.over_other = parallel(
            spec.spend, [scenario.limit, scenario.limit + 1]
        )
    else:
        scenario.over = spec.spend(scenario.limit)
    return scenario


def run_bucket(ctx: Ctx, specs: dict[str, Spec], first: str = "A") -> dict[str, Scenario]:
    """One bucket for both teams (`specs` by team): drain, the `first` team's burst, the other
    team's first request while `first` is exhausted (it must be admitted), the other team's
    burst, then each team's request after its resetTime."""
    if not specs:
        return {}
    bucket = next(iter(specs.values())).bucket
    for team in specs:
        ctx.pacer.drain(team, bucket)
    one = _measured_burst(ctx, specs[first])
    out = {first: one}
    second = ctx.other(first)
    if second in specs:
        probe = specs[second].spend(0)
        if one.exhausted:
            one.other_team = probe
        else:
            one.other_team_missing = f"team {first}'s bucket was never exhausted"
        two = burst(ctx, specs[second], first=1)
        two.burst.insert(0, probe)
        if worth_retrying(two, ctx.config.window_s):
            ctx.pacer.drain(second, bucket)
            two = burst(ctx, specs[second])
        two.other_team_missing = f"measured on another bucket, where team {second} went first"
        out[second] = two
    for scenario in sorted(out.values(), key=_reset_order):
        after_reset(ctx, scenario, specs[scenario.team])
    return out


def _measured_burst(ctx: Ctx, spec: Spec) -> Scenario:
    scenario = burst(ctx, spec)
    if worth_retrying(scenario, ctx.config.window_s):
        ctx.pacer.drain(spec.team, spec.bucket)
        scenario = burst(ctx, spec)
    return scenario


def worth_retrying(scenario: Scenario, window_s: float) -> bool:
    """Once more from a drained bucket when the request over the limit was admitted: a fixed
    window may have rolled over during the burst, or (short windows only, where a retry is
    cheap) the burst was too slow to tell."""
    if scenario.exhausted:
        return False
    return scenario.unmeasured() is None or window_s <= RETRY_SLOW_MAX_WINDOW_S


def _reset_order(s: Scenario) -> float:
    return (local_reset_s(s.over, s.window_s) if s.over is not None else None) or 0.0


def after_reset(ctx: Ctx, scenario: Scenario, spec: Spec) -> None:
    """One request SETTLE_S after the latest resetTime the scenario received: a server may
    count refused requests (decision rate-limit-counting), so the second request over the
    limit can move the moment one more is admitted."""
    refused = [ex for ex in (scenario.over, scenario.over_other) if ex is not None]
    if not refused or refused[0].status != 429:
        return
    resets = [local_reset_s(ex, ctx.config.window_s) for ex in refused if ex.status == 429]
    if any(reset is None for reset in resets):
        return
    sleep_until(max(r for r in resets if r is not None) + SETTLE_S)
    scenario.after_reset = spec.spend(scenario.limit + 2)


def write_plan(backlog: int, limit: int = LIMITS["write"]) -> list[str]:
    """The order of adds and deletes spending the write bucket.

    Deletes consume entries the run created earlier (which cleanup would otherwise delete one
    by one later): all of them when there are enough, never fewer than half; adds fill the
    rest. Sharing shows in the two requests over the limit, an add and a delete, both of which
    must be refused."""
    deletes = min(limit, max(backlog, limit // 2))
    adds = limit - deletes
    add_at = {round(k * limit / adds) for k in range(adds)} if adds else set()
    return ["add" if i in add_at else "delete" for i in range(limit)]


def write_spec(ctx: Ctx, team: str) -> Spec:
    """30 writes of one team mixing adds and deletes (write_plan), then one more add and one
    more delete (both expected 429)."""
    client = ctx.client(team)
    # Every entry of the run on the team's list, batch-created ones too (one list request).
    backlog = list(
        dict.fromkeys(
            [i for i, url in ctx.tracker.ids.get(team, {}).items() if ctx.config.marker in url]
            + find_marked(client, ctx.config.marker)
        )
    )
    # The burst is sent in parallel: every delete needs an entry that exists before it starts.
    for _ in range(LIMITS["write"] // 2 - len(backlog)):
        backlog.append(
            str(ctx.add_entry(ctx.fresh_url(f"rl-backlog-{team.lower()}"), client)["$id"])
        )
    plan = write_plan(len(backlog))
    own: list[str] = []
    lock = threading.Lock()

    def spend(i: int) -> Exchange:
        target = None
        if i < len(plan) and plan[i] == "delete":
            with lock:
                target = backlog.pop() if backlog else own.pop() if own else None
        if target is not None:
            return client.delete(target, paced=False, retry_429=False)
        if i == len(plan) + 1:  # the second request over the limit: a delete
            return client.delete(unknown_id(), paced=False, retry_429=False)
        url = ctx.fresh_url(f"rl-write-{team.lower()}")
        ex = client.add(url, paced=False, retry_429=False)
        if ex.status == 201 and isinstance(ex.data, dict):
            with lock:
                own.append(str(ex.data.get("$id")))
        return ex

    return Spec(team, "write", seeds.RATE_WRITE, spend)


def read_spec(ctx: Ctx, team: str) -> Spec:
    """30 × (check, list) of one team: 60 reads shared by check and list; then one more of
    each."""
    client = ctx.client(team)

    def spend(i: int) -> Exchange:
        if i % 2 == 0:
            return client.check(
                ctx.fresh_url(f"rl-read-{team.lower()}"), paced=False, retry_429=False
            )
        return client.list(limit=1, paced=False, retry_429=False)

    return Spec(team, "read", seeds.RATE_READ, spend)


# Entries per batch of the batch-limit burst: the limit counts requests, whatever their size,
# so a server counting entries shows (10 batches of 3 are 30 entries).
BATCH_BURST_ENTRIES = 3


def batch_spec(ctx: Ctx, team: str) -> Spec:
    """Batches of one team holding BATCH_BURST_ENTRIES invalid URLs each (nothing is
    created)."""
    client = ctx.client(team)
    marker = ctx.config.marker

    def spend(i: int) -> Exchange:
        urls = [f"{marker}-invalid-{team.lower()}-{i}-{k}" for k in range(BATCH_BURST_ENTRIES)]
        return client.batch(urls, paced=False, retry_429=False)

    return Spec(team, "batch", seeds.RATE_BATCH, spend)


def limit_conformance(s: Scenario) -> None:
    limited = [i for i, ex in enumerate(s.burst) if ex.status == 429]
    if limited:
        ex = s.burst[limited[0]]
        raise fail(
            f"Team {s.team}, bucket {s.bucket}: request {limited[0] + 1} of {s.limit} (from a "
            "drained bucket) was refused with 429.",
            ex,
            s.seed,
        )
    reason = s.unmeasured()
    if reason is not None:
        pytest.skip(reason)
    if s.over is None or s.over.status != 429:
        got = s.over.status if s.over is not None else "nothing"
        raise fail(
            f"Team {s.team}, bucket {s.bucket}: request {s.limit + 1} within one window must "
            f"answer 429, got {got}.",
            s.over,
            s.seed,
        )
    if s.over_other is not None and s.over_other.status != 429:
        span = s.over_other.received_at - min(ex.sent_at for ex in s.burst)
        if span >= s.window_s - min(RESOLUTION_S, s.window_s / 2):
            pytest.skip(
                f"{NOT_MEASURED}the {s.limit + 2} requests of team {s.team}'s bucket {s.bucket} "
                f"took {span:.2f} s, too long for a {s.window_s:g} s window: whether the "
                "bucket's other operation is refused too could not be measured"
            )
        raise fail(
            f"Team {s.team}, bucket {s.bucket}: after {s.limit} requests the bucket's other "
            f"operation must be refused too, got {s.over_other.status}.",
            s.over_other,
            s.seed,
        )


def each_scenario(scenarios: Sequence[Scenario], check: Callable[[Scenario], None]) -> None:
    """Run `check` on every scenario that produced its 429; the others are failed (no 429 from
    a burst that was fast enough) or make the test "not measured" (a burst too slow)."""
    unmeasured = []
    for s in scenarios:
        if not s.exhausted:
            reason = s.unmeasured()
            if reason is None:
                raise AssertionError(
                    f"Team {s.team}, bucket {s.bucket}: no 429 was produced to inspect (see the "
                    "limit test)."
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
            f"Team {s.team}, bucket {s.bucket}: no 429 was produced to inspect (see the limit "
            "test)."
        )
    envelope_conformance(ex)
    body = ex.json_object
    if body.get("error") != "rate_limit_exceeded":
        raise fail(
            f"A 429 must carry error 'rate_limit_exceeded', got {body.get('error')!r}.",
            ex,
            seeds.RATE_429,
        )
    reset = reset_s(ex)
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
    if not s.exhausted:
        raise AssertionError(
            f"Team {s.team}, bucket {s.bucket}: no 429 was produced (see the limit test)."
        )
    ex = s.after_reset
    if ex is None:
        raise fail(
            "resetTime is unusable, so the retry could not be timed.", s.over, seeds.RATE_RESET
        )
    if ex.status == 429:
        raise fail(
            f"Team {s.team}, bucket {s.bucket}: a request sent {SETTLE_S:g} s after resetTime "
            "was refused again.",
            ex,
            seeds.RATE_RESET,
        )


def other_team_conformance(s: Scenario) -> None:
    """While team `s.team` was exhausted, the other team's request was admitted."""
    if not s.exhausted:
        raise AssertionError(
            f"Team {s.team}, bucket {s.bucket}: the team was never throttled (see the limit test)."
        )
    ex = s.other_team
    if ex is None:
        pytest.skip(f"{NOT_MEASURED}bucket {s.bucket}: {s.other_team_missing}")
    if ex.status == 429:
        raise fail(
            f"Team {ex.team} was throttled in bucket {s.bucket} while only team {s.team} had "
            "spent it.",
            ex,
            seeds.RATE_TEAM,
        )
