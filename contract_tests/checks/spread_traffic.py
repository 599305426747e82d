"""A retry at resetTime after spread-out traffic, as clients live the rolling window.

After a burst, every request leaves the window at once, so a server that counts its own
refusals but reports the oldest request's expiry as resetTime still admits the retry. Spread
out, only one request leaves at that moment: the refusals it counted keep the window full and
the retry is refused again (and again). So, right after the read bucket's after-reset retry
(the first request at R, the window otherwise empty), a second request follows at R + W/4 and
the rest of the limit at R + W/2; one more must be refused, and a request SETTLE_S after its
resetTime must be admitted. The phase overlaps the batch bucket's rolling-window test. With a
long window (where that phase would outlast it) the read burst itself is spread out instead
(`rate_limit.spread_gap_s`) and its after-reset retry is this test's retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from contract_tests import seeds
from contract_tests.checks.common import fail
from contract_tests.checks.rate_limit import (
    SETTLE_S,
    Scenario,
    Spec,
    local_reset_s,
    parallel,
    spread_gap_s,
)
from contract_tests.client import Exchange
from contract_tests.context import NOT_MEASURED, Ctx
from contract_tests.sender import sleep_until


@dataclass
class SpreadRun:
    team: str
    bucket: str
    sent: list[Exchange] = field(default_factory=list)  # the spread-out requests, in order
    over: Exchange | None = None
    retry: Exchange | None = None
    missing: str = ""  # why it was not measured


def spread_after_reset(ctx: Ctx, scenario: Scenario, spec: Spec) -> SpreadRun:
    run = SpreadRun(scenario.team, scenario.bucket)
    if spread_gap_s(ctx, scenario.bucket):  # the burst itself was spread out
        run.sent, run.over, run.retry = list(scenario.burst), scenario.over, scenario.after_reset
        if run.retry is None:
            run.missing = "the burst's 429 named no usable resetTime (see the 429 test)"
        return run
    first = scenario.after_reset
    if first is None or first.status == 429:
        run.missing = "the retry after the burst's resetTime was not admitted (see that test)"
        return run
    w, limit = ctx.config.window_s, scenario.limit
    counter = limit + 3
    run.sent = [first]
    sleep_until(first.sent_at + w / 4)
    run.sent.append(spec.spend(counter))
    sleep_until(first.sent_at + w / 2)
    run.sent += parallel(spec.spend, range(counter + 1, counter + limit - 1))
    counter += limit
    if any(ex.status == 429 for ex in run.sent):
        run.missing = (
            f"a request of the {limit} spread over half a window was refused (the bucket was "
            "not empty after the retry, or the limit test fails)"
        )
        return run
    run.over = spec.spend(counter)
    if run.over.status != 429:
        run.missing = (
            f"request {limit + 1} of the spread-out traffic was admitted (see the limit test)"
        )
        return run
    reset = local_reset_s(run.over, w)
    if reset is None:
        run.missing = "its 429 carried no usable resetTime (see the 429 test)"
        return run
    sleep_until(reset + SETTLE_S)
    run.retry = spec.spend(counter + 1)
    return run


def retry_after_spread_conformance(run: SpreadRun | None) -> None:
    if run is None or run.retry is None:
        reason = run.missing if run is not None else "the read bucket was not measured"
        pytest.skip(f"{NOT_MEASURED}{reason}")
    if run.retry.status == 429:
        raise fail(
            f"Team {run.team}, bucket {run.bucket}: after {len(run.sent)} requests spread over "
            f"half a window and one refused, a request {SETTLE_S:g} s after its resetTime was "
            "refused again (a server counting its refusals must report when they let one more "
            "in).",
            run.retry,
            seeds.RATE_RESET,
        )
