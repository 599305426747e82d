"""`DncClient`: the blocking twin of `AsyncDncClient`, for scripts, notebooks and the human CLI.

Same operations, same answers, same errors, same pacing and retry decisions (both clients carry
out `dnc_client.plan`); only the sending and the waiting block the calling thread.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from dnc_client import operations
from dnc_client.async_client import DEFAULT_TIMEOUT_S, request_headers
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage
from dnc_client.operations import Operation
from dnc_client.pacing import Clock, PacingState, PacingTimeout, SyncPacer, SyncSleep
from dnc_client.plan import Acquire, CallPolicy, Send, Step, call_plan
from dnc_client.retry import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_S
from dnc_client.spec import BUCKET_LIMITS, DEFAULT_WINDOW_S

__all__ = ["DncClient"]

T = TypeVar("T")


class DncClient:
    """The DNC API for one team (one API key). Use as `with DncClient(...) as api:`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        rate_window_s: float = DEFAULT_WINDOW_S,
        rate_limits: Mapping[str, int] = BUCKET_LIMITS,
        pacing: PacingState | None = None,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Clock = time.time,
        sleep: SyncSleep = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=request_headers(api_key),
            transport=transport,
            timeout=timeout_s,
            follow_redirects=False,
        )
        self._clock = clock
        self._sleep = sleep
        self._policy = CallPolicy(max_attempts=max_attempts, max_wait_s=max_wait_s)
        state = pacing if pacing is not None else PacingState(rate_limits, rate_window_s)
        self.pacer = SyncPacer(state, clock=clock, sleep=sleep, max_wait_s=max_wait_s)

    def __repr__(self) -> str:  # the base URL only: never the key
        return f"DncClient(base_url={str(self._http.base_url)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- operations ---------------------------------------------------------------------

    def add(self, url: str) -> DncEntry:
        """POST /dnc. Raises ConflictError (409) when the URL is already listed."""
        return self.call(operations.add(url))

    def add_batch(self, urls: Sequence[str]) -> BatchResult:
        """POST /dnc/batch with at most the spec's batch maximum of URLs."""
        return self.call(operations.add_batch(urls))

    def check(self, url: str) -> CheckResult:
        """GET /dnc/check."""
        return self.call(operations.check(url))

    def list(self, limit: int, offset: int) -> ListPage:
        """GET /dnc: one page, newest first."""
        return self.call(operations.list_page(limit, offset))

    def delete(self, entry_id: str) -> str:
        """DELETE /dnc/{id}; returns the API's success message."""
        return self.call(operations.delete(entry_id))

    # ---- carrying out a plan ---------------------------------------------------------------

    def call(self, operation: Operation[T]) -> T:
        """Send `operation` with pacing and retries; its parsed `data`, or an error raised."""
        plan = call_plan(
            operation.operation_id,
            operation.bucket,
            state=self.pacer.state,
            clock=self._clock,
            policy=self._policy,
        )
        try:
            step = next(plan)
            while True:
                try:
                    result = self._execute(step, operation)
                except (PacingTimeout, httpx.TransportError) as exc:
                    step = plan.throw(exc)
                else:
                    step = plan.send(result)
        except StopIteration as done:
            return operation.parse(done.value)

    def _execute(self, step: Step, operation: Operation[Any]) -> httpx.Response | None:
        if isinstance(step, Acquire):
            self.pacer.acquire(step.bucket)
            return None
        if isinstance(step, Send):
            return self._http.request(
                operation.method, operation.path, params=operation.params, json=operation.json
            )
        self._sleep(step.seconds)
        return None
