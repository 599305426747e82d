"""`AsyncDncClient`: the DNC API for one team over one `httpx.AsyncClient`, paced and retried.

Each method is one API operation (`dnc_client.operations`) and returns the typed `data` of the
success envelope; every error answer raises from `dnc_client.errors`. Requests are paced per
rate-limit bucket and retried only where `dnc_client.retry` says it is safe; `dnc_client.plan`
makes those decisions, this class only carries out its steps.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator, Awaitable, Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx

from dnc_client import operations
from dnc_client.bulk import (
    AddBatch,
    AddOutcome,
    BulkStep,
    CheckEach,
    CheckOutcome,
    Notify,
    ReadPage,
    add_many_plan,
    check_many_plan,
)
from dnc_client.errors import DncError, ends_bulk_run, unreadable, unsendable
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage
from dnc_client.operations import Operation
from dnc_client.pacing import AsyncPacer, Clock, PacingState, PacingTimeout, Sleep
from dnc_client.plan import Acquire, CallPolicy, Send, Step, call_plan
from dnc_client.progress import BulkProgress, ProgressCallback, notify_async
from dnc_client.retry import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_S
from dnc_client.snapshot import SnapshotReader
from dnc_kit.contract import BATCH_MAX_ENTRIES, BUCKET_LIMITS, DEFAULT_WINDOW_S, LIST_LIMIT_MAX
from dnc_kit.redaction import redact_url

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_BULK_SHARE",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT_S",
    "AsyncDncClient",
    "request_headers",
]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 15.0
CONNECT_TIMEOUT_S = 4.0  # x DEFAULT_MAX_ATTEMPTS + back-off: an unreachable API ends in < 20 s
DEFAULT_BULK_SHARE = 0.8  # a bulk run leaves a fifth of each bucket to single requests
DEFAULT_CONCURRENCY = 8  # checks in flight at once; the pacer still spaces them per bucket


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
        bulk_share: float = DEFAULT_BULK_SHARE,
        clock: Clock = time.time,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=request_headers(api_key),
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S)),
            follow_redirects=False,
        )
        if not 0 < bulk_share <= 1:
            raise ValueError("bulk_share must be more than 0 and at most 1")
        self.bulk_share = bulk_share
        self._target = redact_url(base_url.rstrip("/"))
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

    # ---- bulk helpers (plans in dnc_client.bulk and dnc_client.snapshot) ------------------

    async def iter_entries(
        self, *, progress: ProgressCallback | None = None, page_size: int = LIST_LIMIT_MAX
    ) -> AsyncIterator[DncEntry]:
        """Every entry of a consistent snapshot of the list, each once, as pages arrive.

        Raises `InconsistentSnapshotError` (after what was yielded) when the list changed in
        a way that could hide an entry; see `dnc_client.snapshot` for the guarantee.
        """
        async for entry in self._read_snapshot(SnapshotReader(page_size=page_size), progress):
            yield entry

    async def snapshot(
        self, *, progress: ProgressCallback | None = None, page_size: int = LIST_LIMIT_MAX
    ) -> builtins.list[DncEntry]:
        """The whole list as a consistent snapshot, newest first (see `iter_entries`)."""
        reader = SnapshotReader(page_size=page_size)
        async for _ in self._read_snapshot(reader, progress):
            pass
        return reader.entries

    async def check_many(
        self,
        urls: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> builtins.list[CheckOutcome]:
        """One outcome per URL, in input order; a snapshot or per-URL checks, by cost.

        `on_list` is None (with `error`) when a URL could not be checked: never False.
        """
        return await self._run_bulk(check_many_plan(urls), progress, concurrency)

    async def add_many(
        self,
        urls: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = BATCH_MAX_ENTRIES,
    ) -> builtins.list[AddOutcome]:
        """Add any number of URLs in paced batches; one outcome per URL, in input order."""
        return await self._run_bulk(add_many_plan(urls, chunk_size=chunk_size), progress, 1)

    async def _read_snapshot(
        self, reader: SnapshotReader, progress: ProgressCallback | None
    ) -> AsyncIterator[DncEntry]:
        while (read := reader.next_read()) is not None:
            for entry in reader.feed(
                await self._bulk(operations.list_page(read.limit, read.offset))
            ):
                yield entry
            message = f"{len(reader)} entries read in {reader.reads} requests"
            await notify_async(progress, BulkProgress("snapshot", len(reader), None, message))

    async def _run_bulk(
        self,
        plan: Generator[BulkStep, Any, T],
        progress: ProgressCallback | None,
        concurrency: int,
    ) -> T:
        try:
            step = next(plan)
            while True:
                step = plan.send(await self._bulk_step(step, progress, concurrency))
        except StopIteration as done:
            result: T = done.value
            return result

    async def _bulk_step(
        self, step: BulkStep, progress: ProgressCallback | None, concurrency: int
    ) -> object:
        if isinstance(step, Notify):
            await notify_async(progress, step.progress)
            return None
        if isinstance(step, ReadPage):
            return await _captured(
                self._bulk(operations.list_page(step.read.limit, step.read.offset))
            )
        if isinstance(step, AddBatch):
            return await _captured(self._bulk(operations.add_batch(step.urls)))
        return await self._check_each(step, progress, concurrency)

    async def _check_each(
        self, step: CheckEach, progress: ProgressCallback | None, concurrency: int
    ) -> builtins.list[CheckResult | DncError]:
        results: builtins.list[CheckResult | DncError | None] = [None] * len(step.urls)
        limiter = anyio.Semaphore(max(1, concurrency))
        done = 0
        fatal: builtins.list[DncError] = []  # an error that ends the run (`ends_bulk_run`)

        async def check_one(index: int) -> None:
            nonlocal done
            async with limiter:
                try:
                    call = self._bulk(operations.check(step.urls[index]))
                    results[index] = await _captured(call)
                except DncError as error:
                    fatal.append(error)
                    group.cancel_scope.cancel()
                    return
            done += 1
            total = len(step.urls)
            message = f"{done}/{total} URLs checked one by one"
            await notify_async(progress, BulkProgress("check", done, total, message))

        async with anyio.create_task_group() as group:
            for index in range(len(step.urls)):
                group.start_soon(check_one, index)
        if fatal:
            raise fatal[0]
        return [result for result in results if result is not None]

    # ---- carrying out a plan ---------------------------------------------------------------

    async def _bulk(self, operation: Operation[T]) -> T:
        return await self.call(operation, share=self.bulk_share)

    async def call(self, operation: Operation[T], *, share: float = 1.0) -> T:
        """Send `operation` with pacing and retries; its parsed `data`, or an error raised.

        `share`: the part of the bucket's limit this call may use (bulk helpers pass
        `bulk_share`, leaving the rest to single requests of other callers of the team)."""
        plan = call_plan(
            operation.operation_id,
            operation.bucket,
            state=self.pacer.state,
            clock=self._clock,
            policy=self._policy,
            share=share,
            target=self._target,
        )
        try:
            step = next(plan)
            while True:
                try:
                    result = await self._execute(step, operation)
                except (PacingTimeout, httpx.TransportError) as exc:
                    step = plan.throw(exc)
                except httpx.InvalidURL as exc:  # e.g. a 70,000-character URL in a query
                    raise unsendable(exc) from None
                except httpx.HTTPError as exc:  # the rest of httpx's tree, e.g. DecodingError
                    raise unreadable(exc) from None
                else:
                    step = plan.send(result)
        except StopIteration as done:
            return operation.parse(done.value)

    async def _execute(self, step: Step, operation: Operation[Any]) -> httpx.Response | None:
        if isinstance(step, Acquire):
            await self.pacer.acquire(step.bucket, step.share)
            return None
        if isinstance(step, Send):
            return await self._http.request(
                operation.method,
                operation.path,
                params=operation.params,
                json=operation.json,
                timeout=operation.timeout_s or httpx.USE_CLIENT_DEFAULT,
            )
        await self._sleep(step.seconds)
        return None


async def _captured(call: Awaitable[T]) -> T | DncError:
    """The call's result, or the DncError it raised, as a value for a bulk plan; an error that
    ends the whole run (a refused key, an unreachable API) is raised instead."""
    try:
        return await call
    except DncError as error:
        if ends_bulk_run(error):
            raise
        return error
