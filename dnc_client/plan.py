"""One API call as a plan of steps: the decisions of both clients, with no I/O of its own.

`call_plan` is a generator. It yields the steps a call needs and receives each step's result:

- `Acquire(bucket)`: wait until the bucket has room (the result is ignored; a `PacingTimeout`
  is thrown back in when the wait would be too long);
- `Send()`: send the operation's request once (the result is the `httpx.Response`; an
  `httpx.TransportError` is thrown back in when there was none);
- `Sleep(seconds)`: back off before resending.

It returns the `data` of the success envelope or raises from `dnc_client.errors`. The async and
the sync client only execute steps, so pacing, the 429 waits and the retry policy
(`dnc_client.retry`) are written once and tested step by step with a frozen clock.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from dnc_client.errors import (
    DncApiError,
    DncConnectionError,
    DncError,
    DncUnreachableError,
    InternalServerError,
    RateLimitError,
    error_from_response,
)
from dnc_client.pacing import Clock, PacingState, PacingTimeout
from dnc_client.retry import (
    Failure,
    backoff_delay,
    rate_limit_delay,
    should_retry,
)

__all__ = ["Acquire", "CallPolicy", "Plan", "Send", "Sleep", "Step", "call_plan"]


@dataclass(frozen=True)
class Acquire:
    bucket: str
    share: float = 1.0  # the part of the bucket this call may use (bulk runs leave room)


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = Acquire | Send | Sleep
Plan = Generator[Step, Any, Any]


@dataclass(frozen=True)
class CallPolicy:
    """How persistent a call is: attempts in all, and the longest single wait for a bucket."""

    max_attempts: int
    max_wait_s: float


def call_plan(
    operation_id: str,
    bucket: str,
    *,
    state: PacingState,
    clock: Clock,
    policy: CallPolicy,
    share: float = 1.0,
    target: str = "the API",
) -> Plan:
    attempt = 0
    while True:
        attempt += 1
        try:
            yield Acquire(bucket, share)
        except PacingTimeout as exc:
            raise RateLimitError(
                429,
                "rate_limit_exceeded",
                f"client-side pacing: bucket {bucket} is full",
                clock() + exc.delay,
            ) from None
        failure: Failure
        error: DncError
        try:
            response: httpx.Response = yield Send()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            failure, error = Failure.NOT_SENT, _unreachable(exc, target)
        except httpx.TransportError as exc:
            failure, error = Failure.AMBIGUOUS, _connection_error(exc)
        else:
            _observe_headers(state, bucket, response.headers, clock())
            if response.status_code < 400:
                return _data(response)
            api_error = error_from_response(
                response.status_code, _json_or_none(response), response.headers, clock()
            )
            if isinstance(api_error, RateLimitError):
                state.forget_last(bucket)
                failure, error = Failure.RATE_LIMITED, api_error
            elif isinstance(api_error, InternalServerError):
                failure, error = Failure.AMBIGUOUS, api_error
            else:
                raise api_error
        if not should_retry(operation_id, failure, attempt, policy.max_attempts):
            raise error
        if isinstance(error, RateLimitError):
            now = clock()
            delay = rate_limit_delay(error.reset_at, now, policy.max_wait_s)
            if delay is None:
                raise error
            state.block_until(bucket, now + delay)  # the next Acquire waits it out
        else:
            yield Sleep(backoff_delay(attempt))


def _observe_headers(state: PacingState, bucket: str, headers: httpx.Headers, now: float) -> None:
    """Remaining 0 means the team's bucket is full until X-RateLimit-Reset (epoch ms).

    The header names and units are our spec's decision, not the provider's: a reset that is not
    within one window from now (another unit, another meaning) is ignored rather than trusted
    to block the bucket for hours.
    """
    remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
    if remaining is None or reset is None:
        return
    try:
        until = int(reset) / 1000.0
        if int(remaining) <= 0 and now < until <= now + state.window_s:
            state.block_until(bucket, until)
    except ValueError:
        return


def _connection_error(exc: httpx.TransportError) -> DncConnectionError:
    # httpx messages name the host at most; the Authorization header never appears in them.
    return DncConnectionError(f"{type(exc).__name__}: could not complete the request")


def _unreachable(exc: httpx.TransportError, target: str) -> DncUnreachableError:
    return DncUnreachableError(
        f"{target} could not be reached ({type(exc).__name__}): is the server running, and is"
        " DNC_BASE_URL right?"
    )


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _data(response: httpx.Response) -> Any:
    body = _json_or_none(response)
    if not isinstance(body, Mapping) or "data" not in body:
        raise DncApiError(response.status_code, "bad_response", "answer is not a success envelope")
    return body["data"]
