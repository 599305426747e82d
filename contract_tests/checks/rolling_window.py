"""The batch bucket of one team, observed once: its limit, its 429, the request after resetTime,
and whether the window is rolling or fixed.

Phase 1 is the batch limit scenario (`rate_limit.burst`: from a drained bucket, 10 batches at
once, then one more, expected 429; the first request leaves at s1). Then a probe every W/8, and
one exactly SETTLE_S after resetTime, until one is admitted at a1: a rolling window admits
nothing before s1 + W (less RESOLUTION_S for a server counting in whole seconds).

Phase 2 (deterministic for a fixed window): a burst until refused right after a1 fills the
window again; just past a1 + W (the next boundary of a fixed window that opened at a1) N
requests are sent. A fixed window has refilled and admits all N; a rolling window admits at
most k, the number of requests that can have left it since it was full (every request of the
test is counted, refused ones too, since a server may count those; a request's time may be
rounded down by up to RESOLUTION_S). N = k + 1 <= limit.

The whole session takes about two windows after the drain; the two teams' sessions run side by
side, next to the write and read scenarios.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from contract_tests import seeds
from contract_tests.checks.common import fail
from contract_tests.checks.rate_limit import (
    RESOLUTION_S,
    SETTLE_S,
    Scenario,
    batch_spec,
    burst,
    local_reset_s,
    parallel,
    worth_retrying,
)
from contract_tests.client import Exchange
from contract_tests.config import LIMITS
from contract_tests.context import NOT_MEASURED, Ctx
from contract_tests.sender import sleep_until


@dataclass
class RollingRun:
    """What one team's batch session saw, phase by phase."""

    team: str
    window_s: float
    scenario: Scenario
    probes: list[Exchange] = field(default_factory=list)
    refill: Exchange | None = None  # the first probe admitted (a1)
    second: list[Exchange] = field(default_factory=list)  # phase 2 burst
    final: list[Exchange] = field(default_factory=list)  # the requests one window after a1
    outcome: BaseException | None = None  # how the rolling-window test ended (None: passed)

    @property
    def sent(self) -> list[Exchange]:
        phase1 = [*self.scenario.burst, *([self.scenario.over] if self.scenario.over else [])]
        return [*phase1, *self.probes, *self.second, *self.final]


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


def batch_session(ctx: Ctx, team: str, rolling: bool = True) -> RollingRun:
    """Drain the team's batch bucket, run phase 1 and (unless switched off or not selected)
    phase 2."""
    spec = batch_spec(ctx, team)
    w = ctx.config.window_s
    ctx.pacer.drain(team, "batch")
    scenario = burst(ctx, spec)
    if worth_retrying(scenario, w):
        ctx.pacer.drain(team, "batch")
        scenario = burst(ctx, spec)
    run = RollingRun(team=team, window_s=w, scenario=scenario)
    try:
        _phases(ctx, run, spec.spend, rolling)
    except BaseException as exc:  # a skip ("not measured") or a failure, re-raised by the test
        run.outcome = exc
    return run


def _phases(ctx: Ctx, run: RollingRun, send: Callable[[int], Exchange], selected: bool) -> None:
    w = run.window_s
    scenario = run.scenario
    limit = LIMITS["batch"]
    if not scenario.exhausted or scenario.over is None:
        pytest.skip(f"{NOT_MEASURED}the batch bucket could not be exhausted (see the limit test)")
    reset = local_reset_s(scenario.over, w)
    rolling = selected and ctx.config.rolling_window_test and w > RESOLUTION_S * 1.25
    counter = limit + 1
    s1 = scenario.first_sent
    if not rolling:
        if reset is not None:
            sleep_until(reset + SETTLE_S)
            scenario.after_reset = send(counter)
            run.probes.append(scenario.after_reset)
        reason = (
            "switched off (--no-rolling-window-test)"
            if not ctx.config.rolling_window_test
            else "not selected"
            if not selected
            else f"a {w:g} s window is too short to tell rolling from fixed"
        )
        pytest.skip(f"{NOT_MEASURED}{reason}")
    # Probes every W/8 (fewer than the limit per window, so that a server counting refused
    # requests still refills), and one SETTLE_S after resetTime (the after-reset test).
    step = w / 8
    tick = max(ex.received_at for ex in run.sent)
    deadline = tick + 2 * w + 1
    while time.time() < deadline:
        at_reset = (
            reset is not None and scenario.after_reset is None and tick + step >= reset + SETTLE_S
        )
        tick = reset + SETTLE_S if at_reset and reset is not None else tick + step
        sleep_until(tick)
        ex = send(counter)
        counter += 1
        run.probes.append(ex)
        if at_reset:
            scenario.after_reset = ex
        if ex.status != 429:
            run.refill = ex
            if scenario.after_reset is None:  # admitted even before resetTime
                scenario.after_reset = ex
            break
    a1 = run.refill
    if a1 is None:
        pytest.skip(
            f"{NOT_MEASURED}no request was admitted within two windows after the burst "
            "(see test_requests_are_admitted_again_after_reset_time)"
        )
    if a1.received_at < s1 + w - RESOLUTION_S:
        raise fail(
            f"Team {run.team}'s batch bucket was exhausted by a burst starting at t=0 and "
            f"admitted a request again at t={a1.received_at - s1:.2f} s, before the burst's "
            f"first request left the rolling {w:g} s window (tolerance {RESOLUTION_S:g} s): the "
            "window is not rolling (a fixed window or a continuously refilled bucket?).",
            a1,
            seeds.RATE_ROLLING,
        )
    _phase2(run, send, counter, a1)


def _phase2(run: RollingRun, send: Callable[[int], Exchange], counter: int, a1: Exchange) -> None:
    w = run.window_s
    limit = LIMITS["batch"]
    before = [ex for ex in run.sent if ex is not a1]
    previous = max(ex.sent_at for ex in before)  # the last refused request before a1
    latency = max(ex.received_at - ex.sent_at for ex in run.sent)
    margin = max(0.05, 0.03 * w)
    t2 = a1.received_at + w + margin
    t2_duration = 2 * latency + 0.05
    tb = t2 + t2_duration - w + RESOLUTION_S + margin
    sleep_until(tb)
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
    sleep_until(t2)
    run.final = parallel(send, range(counter, counter + n))
    k = may_have_left(max(ex.received_at for ex in run.final))
    got = len(_admitted(run.final))
    s1 = run.scenario.first_sent
    if got > k:
        raise fail(
            f"One window after team {run.team}'s batch bucket refilled "
            f"(t={a1.received_at - s1:.2f} s) and was filled again, {got} of {n} requests were "
            f"admitted, but at most {k} request(s) can have aged out of a rolling {w:g} s window "
            "since it was full: the bucket was refilled at once, as a fixed window does.",
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


def rolling_window_conformance(run: RollingRun) -> None:
    if run.outcome is not None:
        raise run.outcome
