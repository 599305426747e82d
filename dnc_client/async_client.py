"""`AsyncDncClient`: the DNC API for one team over one `httpx.AsyncClient`, paced and retried.

Each method is one API operation (`dnc_client.operations`) and returns the typed `data` of the
success envelope; every error answer raises from `dnc_client.errors`. Requests are paced per
rate-limit bucket and retried only where `dnc_client.retry` says it is safe; `dnc_client.plan`
makes those decisions, this class only carries out its steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx

from dnc_client import operations
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage
from dnc_client.operations import Operation
from dnc_client.pacing import AsyncPacer, Clock, PacingState, PacingTimeout, Sleep
from dnc_client.plan import Acquire, CallPolicy, Send, Step, call_plan
from dnc_client.retry import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_S
from dnc_client.spec import BUCKET_LIMITS, DEFAULT_WINDOW_S

__all__ = ["DEFAULT_TIMEOUT_S", "AsyncDncClient", "request_headers"]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 15.0


def request_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}


class AsyncDncClient:
    """The DNC API for one team (one API key). Use as `async with AsyncDncClient(...) as api:`.

    `pacing` shares one key's budget between clients (e.g. one client per request for the same
    key); by default each client keeps its own.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_window_s: float = DEFAULT_WINDOW_S,
        rate_limits: Mapping[str, int] = BUCKET_LIMITS,
        pacing: PacingState | None = None,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Clock = time.time,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self._http = httpx.AsyncClient(
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
        self.pacer = AsyncPacer(state, clock=clock, sleep=sleep, max_wait_s=max_wait_s)

    def __repr__(self) -> str:  # the base URL only: never the key
        return f"AsyncDncClient(base_url={str(self._http.base_url)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- operations ---------------------------------------------------------------------

    async def add(self, url: str) -> DncEntry:
        """POST /dnc. Raises ConflictError (409) when the URL is already listed."""
        return await self.call(operations.add(url))

    async def add_batch(self, urls: Sequence[str]) -> BatchResult:
        """POST /dnc/batch with at most the spec's batch maximum of URLs."""
        return await self.call(operations.add_batch(urls))

    async def check(self, url: str) -> CheckResult:
        """GET /dnc/check."""
        return await self.call(operations.check(url))

    async def list(self, limit: int, offset: int) -> ListPage:
        """GET /dnc: one page, newest first."""
        return await self.call(operations.list_page(limit, offset))

    async def delete(self, entry_id: str) -> str:
        """DELETE /dnc/{id}; returns the API's success message."""
        return await self.call(operations.delete(entry_id))

    # ---- carrying out a plan ---------------------------------------------------------------

    async def call(self, operation: Operation[T]) -> T:
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
                    result = await self._execute(step, operation)
                except (PacingTimeout, httpx.TransportError) as exc:
                    step = plan.throw(exc)
                else:
                    step = plan.send(result)
        except StopIteration as done:
            return operation.parse(done.value)

    async def _execute(self, step: Step, operation: Operation[Any]) -> httpx.Response | None:
        if isinstance(step, Acquire):
            await self.pacer.acquire(step.bucket)
            return None
        if isinstance(step, Send):
            return await self._http.request(
                operation.method, operation.path, params=operation.params, json=operation.json
            )
        await self._sleep(step.seconds)
        return None
