"""The retry policy and pacing as pure functions: tables, a frozen clock, no real sleeps."""

from __future__ import annotations

import pytest

from dnc_client.pacing import AsyncPacer, PacingState, PacingStates, PacingTimeout, pacing_delay
from dnc_client.retry import (
    BACKOFF_CAP_S,
    RESET_MARGIN_S,
    UNKNOWN_RESET_WAIT_S,
    Failure,
    backoff_delay,
    rate_limit_delay,
    should_retry,
)
from dnc_client.testing import FakeSleep, FrozenClock
from dnc_kit.contract import OPERATION_BUCKETS

OPERATIONS = sorted(OPERATION_BUCKETS)
REPLAY_SAFE = {"checkDncStatus", "listDncEntries", "addDncEntry"}


@pytest.mark.parametrize("operation_id", OPERATIONS)
@pytest.mark.parametrize("failure", list(Failure))
def test_the_retry_table_resends_only_what_cannot_change_the_outcome(
    operation_id: str, failure: Failure
) -> None:
    expected = failure is not Failure.AMBIGUOUS or operation_id in REPLAY_SAFE
    assert should_retry(operation_id, failure, attempt=1, max_attempts=4) is expected


@pytest.mark.parametrize("failure", list(Failure))
def test_no_retry_once_the_attempts_are_spent(failure: Failure) -> None:
    assert should_retry("checkDncStatus", failure, attempt=4, max_attempts=4) is False
    assert should_retry("checkDncStatus", failure, attempt=3, max_attempts=4) is True


@pytest.mark.parametrize(
    ("reset_at", "now", "max_wait", "expected"),
    [
        (110.0, 100.0, 65.0, 10.0 + RESET_MARGIN_S),  # wait until the window frees a slot
        (100.0, 100.0, 65.0, RESET_MARGIN_S),  # already free: just the margin
        (90.0, 100.0, 65.0, RESET_MARGIN_S),  # reset in the past (clock skew)
        (None, 100.0, 65.0, UNKNOWN_RESET_WAIT_S),  # no hint at all
        (200.0, 100.0, 65.0, None),  # longer than allowed: give up
        (100.0 + 65.0 - RESET_MARGIN_S, 100.0, 65.0, 65.0),  # exactly the maximum
    ],
)
def test_the_wait_after_a_429_follows_reset_time_within_the_maximum(
    reset_at: float | None, now: float, max_wait: float, expected: float | None
) -> None:
    assert rate_limit_delay(reset_at, now, max_wait) == (
        None if expected is None else pytest.approx(expected)
    )


@pytest.mark.parametrize(("attempt", "delay"), [(1, 0.25), (2, 0.5), (3, 1.0), (10, BACKOFF_CAP_S)])
def test_backoff_doubles_up_to_a_cap(attempt: int, delay: float) -> None:
    assert backoff_delay(attempt) == delay


@pytest.mark.parametrize(
    ("sent", "now", "limit", "expected"),
    [
        ([], 100.0, 2, 0.0),
        ([99.0], 100.0, 2, 0.0),
        ([50.0, 99.0], 100.0, 2, 10.0),  # the oldest leaves the 60 s window at 110
        ([30.0, 50.0, 99.0], 100.0, 2, 10.0),  # 30 already left the window
        ([39.0, 41.0], 100.0, 2, 0.0),  # both left
        ([40.0, 40.0, 40.0], 100.0, 3, 0.0),  # exactly at the edge: gone
    ],
)
def test_pacing_delay_is_the_time_until_the_limit_has_room(
    sent: list[float], now: float, limit: int, expected: float
) -> None:
    assert pacing_delay(sent, now, limit, 60.0) == pytest.approx(expected)


@pytest.mark.anyio
async def test_the_pacer_waits_on_the_injected_clock_per_bucket() -> None:
    clock = FrozenClock(now=1000.0)
    sleep = FakeSleep(clock)
    pacer = AsyncPacer(
        PacingState({"read": 2, "write": 1}, 60.0), clock=clock, sleep=sleep, max_wait_s=65
    )
    await pacer.acquire("read")
    clock.advance(5)
    await pacer.acquire("read")
    await pacer.acquire("write")  # another bucket is not affected
    assert sleep.calls == []
    await pacer.acquire("read")
    assert sleep.calls == [pytest.approx(55.0)]


@pytest.mark.anyio
async def test_a_blocked_bucket_waits_until_the_reported_reset() -> None:
    clock = FrozenClock(now=1000.0)
    sleep = FakeSleep(clock)
    pacer = AsyncPacer(PacingState({"write": 30}, 60.0), clock=clock, sleep=sleep, max_wait_s=65)
    pacer.state.block_until("write", 1030.0)
    await pacer.acquire("write")
    assert sleep.calls == [pytest.approx(30.0)]


@pytest.mark.anyio
async def test_the_pacer_refuses_a_wait_longer_than_the_maximum() -> None:
    clock = FrozenClock(now=1000.0)
    pacer = AsyncPacer(
        PacingState({"batch": 1}, 60.0), clock=clock, sleep=FakeSleep(clock), max_wait_s=10
    )
    await pacer.acquire("batch")
    with pytest.raises(PacingTimeout) as caught:
        await pacer.acquire("batch")
    assert caught.value.delay == pytest.approx(60.0)


@pytest.mark.anyio
async def test_a_request_answered_429_does_not_use_budget() -> None:
    clock = FrozenClock(now=1000.0)
    sleep = FakeSleep(clock)
    pacer = AsyncPacer(PacingState({"read": 1}, 60.0), clock=clock, sleep=sleep, max_wait_s=65)
    await pacer.acquire("read")
    pacer.state.forget_last("read")
    await pacer.acquire("read")
    assert sleep.calls == []


def test_each_key_keeps_its_own_budget_and_the_least_recently_used_are_forgotten() -> None:
    states = PacingStates({"read": 1}, 60.0, max_keys=2)
    first = states.for_key("fp-a")
    first.record("read", 1000.0)
    assert states.for_key("fp-b").delay("read", 1000.0) == 0.0  # another team's budget
    assert states.for_key("fp-a") is first  # fp-a is now the most recently used
    states.for_key("fp-c")  # a third key: fp-b, the least recently used, goes
    assert len(states) == 2
    assert states.for_key("fp-a") is first
    assert states.for_key("fp-b").delay("read", 1000.0) == 0.0
