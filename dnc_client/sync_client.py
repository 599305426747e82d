"""`DncClient`: the blocking twin of `AsyncDncClient`, for scripts, notebooks and the human CLI.

Same operations, same answers, same errors, same pacing and retry decisions (both clients carry
out `dnc_client.plan`); only the sending and the waiting block the calling thread.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from dnc_client import operations
from dnc_client.async_client import (
    CONNECT_TIMEOUT_S,
    DEFAULT_BULK_SHARE,
    DEFAULT_TIMEOUT_S,
    request_headers,
)
from dnc_client.bulk import (
    AddBatch,
    AddOutcome,
    BulkStep,
    CheckOutcome,
    Notify,
    ReadPage,
    add_many_plan,
    check_many_plan,
)
from dnc_client.errors import DncError, ends_bulk_run, unreadable, unsendable
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage
from dnc_client.operations import Operation
from dnc_client.pacing import Clock, PacingState, PacingTimeout, SyncPacer, SyncSleep
from dnc_client.plan import Acquire, CallPolicy, Send, Step, call_plan
from dnc_client.progress import BulkProgress, ProgressCallback, notify
from dnc_client.retry import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_S
from dnc_client.snapshot import SnapshotReader
from dnc_kit.contract import BATCH_MAX_ENTRIES, BUCKET_LIMITS, DEFAULT_WINDOW_S, LIST_LIMIT_MAX
from dnc_kit.redaction import redact_url

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
        bulk_share: float = DEFAULT_BULK_SHARE,
        clock: Clock = time.time,
        sleep: SyncSleep = time.sleep,
    ) -> None:
        self._http = httpx.Client(
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

    # ---- bulk helpers (plans in dnc_client.bulk and dnc_client.snapshot) ------------------

    def iter_entries(
        self, *, progress: ProgressCallback | None = None, page_size: int = LIST_LIMIT_MAX
    ) -> Iterator[DncEntry]:
        """Every entry of a consistent snapshot of the list, each once, as pages arrive.

        Raises `InconsistentSnapshotError` (after what was yielded) when the list changed in
        a way that could hide an entry; see `dnc_client.snapshot` for the guarantee.
        """
        yield from self._read_snapshot(SnapshotReader(page_size=page_size), progress)

    def snapshot(
        self, *, progress: ProgressCallback | None = None, page_size: int = LIST_LIMIT_MAX
    ) -> builtins.list[DncEntry]:
        """The whole list as a consistent snapshot, newest first (see `iter_entries`)."""
        reader = SnapshotReader(page_size=page_size)
        for _ in self._read_snapshot(reader, progress):
            pass
        return reader.entries

    def check_many(
        self, urls: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> builtins.list[CheckOutcome]:
        """One outcome per URL, in input order; a snapshot or per-URL checks, by cost.

        `on_list` is None (with `error`) when a URL could not be checked: never False.
        """
        return self._run_bulk(check_many_plan(urls), progress)

    def add_many(
        self,
        urls: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        chunk_size: int = BATCH_MAX_ENTRIES,
    ) -> builtins.list[AddOutcome]:
        """Add any number of URLs in paced batches; one outcome per URL, in input order."""
        return self._run_bulk(add_many_plan(urls, chunk_size=chunk_size), progress)

    def _read_snapshot(
        self, reader: SnapshotReader, progress: ProgressCallback | None
    ) -> Iterator[DncEntry]:
        while (read := reader.next_read()) is not None:
            yield from reader.feed(self._bulk(operations.list_page(read.limit, read.offset)))
            message = f"{len(reader)} entries read in {reader.reads} requests"
            notify(progress, BulkProgress("snapshot", len(reader), None, message))

    def _run_bulk(self, plan: Generator[BulkStep, Any, T], progress: ProgressCallback | None) -> T:
        try:
            step = next(plan)
            while True:
                step = plan.send(self._bulk_step(step, progress))
        except StopIteration as done:
            result: T = done.value
            return result

    def _bulk_step(self, step: BulkStep, progress: ProgressCallback | None) -> object:
        if isinstance(step, Notify):
            notify(progress, step.progress)
            return None
        if isinstance(step, ReadPage):
            return _captured(
                lambda: self._bulk(operations.list_page(step.read.limit, step.read.offset))
            )
        if isinstance(step, AddBatch):
            return _captured(lambda: self._bulk(operations.add_batch(step.urls)))
        results: builtins.list[CheckResult | DncError] = []
        for url in step.urls:
            results.append(_captured(lambda url=url: self._bulk(operations.check(url))))  # type: ignore[misc]
            total = len(step.urls)
            message = f"{len(results)}/{total} URLs checked one by one"
            notify(progress, BulkProgress("check", len(results), total, message))
        return results

    # ---- carrying out a plan ---------------------------------------------------------------

    def _bulk(self, operation: Operation[T]) -> T:
        return self.call(operation, share=self.bulk_share)

    def call(self, operation: Operation[T], *, share: float = 1.0) -> T:
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
                    result = self._execute(step, operation)
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

    def _execute(self, step: Step, operation: Operation[Any]) -> httpx.Response | None:
        if isinstance(step, Acquire):
            self.pacer.acquire(step.bucket, step.share)
            return None
        if isinstance(step, Send):
            return self._http.request(
                operation.method,
                operation.path,
                params=operation.params,
                json=operation.json,
                timeout=operation.timeout_s or httpx.USE_CLIENT_DEFAULT,
            )
        self._sleep(step.seconds)
        return None


def _captured(call: Callable[[], T]) -> T | DncError:
    """The call's result, or the DncError it raised, as a value for a bulk plan; an error that
    ends the whole run (a refused key, an unreachable API) is raised instead."""
    try:
        return call()
    except DncError as error:
        if ends_bulk_run(error):
            raise
        return error
