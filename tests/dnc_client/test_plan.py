"""The call plan step by step: what both clients do, decided without any I/O."""

from __future__ import annotations

import httpx
import pytest

from dnc_client.errors import ConflictError, DncConnectionError, RateLimitError
from dnc_client.pacing import PacingState, PacingTimeout
from dnc_client.plan import Acquire, CallPolicy, Plan, Send, Sleep, call_plan
from dnc_client.retry import BACKOFF_BASE_S
from dnc_client.testing import FrozenClock

LIMITS = {"write": 30, "read": 60, "batch": 10}
POLICY = CallPolicy(max_attempts=4, max_wait_s=65.0)


def plan_for(operation_id: str, bucket: str, clock: FrozenClock) -> tuple[Plan, PacingState]:
    state = PacingState(LIMITS, 60.0)
    return call_plan(operation_id, bucket, state=state, clock=clock, policy=POLICY), state


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {})


def test_a_success_takes_one_acquire_and_one_send_and_returns_the_data() -> None:
    plan, _ = plan_for("checkDncStatus", "read", FrozenClock())
    assert next(plan) == Acquire("read")
    assert plan.send(None) == Send()
    with pytest.raises(StopIteration) as done:
        plan.send(answer(200, {"error": None, "data": {"onList": False, "entry": None}}))
    assert done.value.value == {"onList": False, "entry": None}


def test_a_429_forgets_the_refused_send_blocks_the_bucket_until_reset_and_acquires_again() -> None:
    clock = FrozenClock(now=1000.0)
    plan, state = plan_for("addDncEntry", "write", clock)
    next(plan)
    state.record("write", clock())  # what the pacer does when it grants the Acquire
    plan.send(None)
    body = {"error": "rate_limit_exceeded", "message": "m", "resetTime": 1_012_000}
    assert plan.send(answer(429, body)) == Acquire("write")
    assert state.delay("write", clock()) == pytest.approx(12.05)
    assert state.delay("write", clock() + 12.1) == 0.0  # the refused send used no budget


def test_a_zero_remaining_header_blocks_the_bucket_until_its_reset() -> None:
    clock = FrozenClock(now=1000.0)
    plan, state = plan_for("listDncEntries", "read", clock)
    next(plan)
    plan.send(None)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1030000"}
    with pytest.raises(StopIteration):
        plan.send(answer(200, {"error": None, "data": {}}, headers))
    assert state.delay("read", clock()) == pytest.approx(30.0)


@pytest.mark.parametrize("reset", ["1030", "1000000000000000", "999000"])
def test_a_reset_header_in_another_unit_or_the_past_never_blocks_the_bucket(reset: str) -> None:
    clock = FrozenClock(now=1000.0)
    plan, state = plan_for("listDncEntries", "read", clock)
    next(plan)
    plan.send(None)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    with pytest.raises(StopIteration):
        plan.send(answer(200, {"error": None, "data": {}}, headers))
    assert state.delay("read", clock()) == 0.0


def test_a_refused_connection_backs_off_then_sends_again() -> None:
    plan, _ = plan_for("deleteDncEntry", "write", FrozenClock())
    next(plan)
    plan.send(None)
    assert plan.throw(httpx.ConnectError("refused")) == Sleep(BACKOFF_BASE_S)
    assert plan.send(None) == Acquire("write")


def test_a_timed_out_batch_is_not_sent_again() -> None:
    plan, _ = plan_for("addDncEntriesBatch", "batch", FrozenClock())
    next(plan)
    plan.send(None)
    with pytest.raises(DncConnectionError):
        plan.throw(httpx.ReadTimeout("slow"))


def test_an_error_answer_other_than_429_and_5xx_raises_at_once() -> None:
    plan, _ = plan_for("addDncEntry", "write", FrozenClock())
    next(plan)
    plan.send(None)
    with pytest.raises(ConflictError):
        plan.send(answer(409, {"error": "dnc_entry_exists", "message": "URL already on DNC list"}))


def test_a_pacing_wait_beyond_the_maximum_becomes_a_rate_limit_error_with_its_reset() -> None:
    clock = FrozenClock(now=500.0)
    plan, _ = plan_for("addDncEntriesBatch", "batch", clock)
    next(plan)
    with pytest.raises(RateLimitError) as caught:
        plan.throw(PacingTimeout("batch", 90.0))
    assert caught.value.reset_at == pytest.approx(590.0)
