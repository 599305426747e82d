"""An async client for any deployment of openapi.yaml: one `httpx.AsyncClient`, paced and retried.

Each method is one API operation and returns the typed `data` of the success envelope; every
error answer raises from the `mcp_server.errors` tree. Requests are paced per rate-limit bucket
(`mcp_server.pacing`) and retried only where `mcp_server.retry` says it is safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import anyio
import httpx
from pydantic import ValidationError

from mcp_server.errors import (
    DncApiError,
    DncConnectionError,
    DncError,
    InternalServerError,
    RateLimitError,
    error_from_response,
)
from mcp_server.models import BatchResult, CheckResult, DncEntry, ListPage
from mcp_server.pacing import Clock, Pacer, PacingTimeout, Sleep
from mcp_server.retry import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_WAIT_S,
    Failure,
    backoff_delay,
    rate_limit_delay,
    should_retry,
)
from mcp_server.spec import BUCKET_LIMITS, DEFAULT_WINDOW_S, OPERATION_BUCKETS

__all__ = ["DEFAULT_TIMEOUT_S", "DncClient"]

_M = TypeVar("_M", DncEntry, BatchResult, CheckResult, ListPage)

DEFAULT_TIMEOUT_S = 15.0
logger = logging.getLogger(__name__)


class DncClient:
    """The DNC API for one team (one API key). Use as `async with DncClient(...) as api:`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_window_s: float = DEFAULT_WINDOW_S,
        rate_limits: Mapping[str, int] = BUCKET_LIMITS,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Clock = time.time,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            transport=transport,
            timeout=timeout_s,
            follow_redirects=False,
        )
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._max_attempts = max_attempts
        self.pacer = Pacer(
            rate_limits, rate_window_s, clock=clock, sleep=sleep, max_wait_s=max_wait_s
        )

    def __repr__(self) -> str:  # the base URL only: never the key
        return f"DncClient(base_url={str(self._http.base_url)!r})"

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
        data = await self._call("addDncEntry", "POST", "/dnc", json={"url": url})
        return _parse(DncEntry, data)

    async def add_batch(self, urls: Sequence[str]) -> BatchResult:
        """POST /dnc/batch with at most the spec's batch maximum of URLs."""
        body = {"entries": [{"url": url} for url in urls]}
        data = await self._call("addDncEntriesBatch", "POST", "/dnc/batch", json=body)
        return _parse(BatchResult, data)

    async def check(self, url: str) -> CheckResult:
        """GET /dnc/check."""
        data = await self._call("checkDncStatus", "GET", "/dnc/check", params={"url": url})
        return _parse(CheckResult, data)

    async def list(self, limit: int, offset: int) -> ListPage:
        """GET /dnc: one page, newest first."""
        params = {"limit": str(limit), "offset": str(offset)}
        data = await self._call("listDncEntries", "GET", "/dnc", params=params)
        return _parse(ListPage, data)

    async def delete(self, entry_id: str) -> str:
        """DELETE /dnc/{id}; returns the API's success message."""
        path = f"/dnc/{quote(entry_id, safe='')}"
        data = await self._call("deleteDncEntry", "DELETE", path)
        message = data.get("message") if isinstance(data, Mapping) else None
        return message if isinstance(message, str) else "DNC entry deleted successfully"

    # ---- transport, pacing, retries ----------------------------------------------------

    async def _call(
        self,
        operation_id: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: object = None,
    ) -> Any:
        bucket = OPERATION_BUCKETS[operation_id]
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.pacer.acquire(bucket)
            except PacingTimeout as exc:
                raise RateLimitError(
                    429,
                    "rate_limit_exceeded",
                    f"client-side pacing: bucket {bucket} is full",
                    self._clock() + exc.delay,
                ) from None
            failure: Failure
            error: DncError
            try:
                response = await self._http.request(method, path, params=params, json=json)
            except httpx.ConnectError as exc:
                failure, error = Failure.NOT_SENT, _connection_error(exc)
            except httpx.TransportError as exc:
                failure, error = Failure.AMBIGUOUS, _connection_error(exc)
            else:
                self._observe_headers(bucket, response.headers)
                if response.status_code < 400:
                    return _data(response)
                api_error = error_from_response(
                    response.status_code, _json_or_none(response), response.headers, self._clock()
                )
                if isinstance(api_error, RateLimitError):
                    self.pacer.forget_last(bucket)
                    failure, error = Failure.RATE_LIMITED, api_error
                elif isinstance(api_error, InternalServerError):
                    failure, error = Failure.AMBIGUOUS, api_error
                else:
                    raise api_error
            if not should_retry(operation_id, failure, attempt, self._max_attempts):
                raise error
            await self._wait_before_retry(bucket, failure, error, attempt)
            logger.info("retrying %s (attempt %d) after %s", operation_id, attempt + 1, failure)

    async def _wait_before_retry(
        self, bucket: str, failure: Failure, error: Exception, attempt: int
    ) -> None:
        if isinstance(error, RateLimitError):
            now = self._clock()
            delay = rate_limit_delay(error.reset_at, now, self._max_wait_s)
            if delay is None:
                raise error
            self.pacer.block_until(bucket, now + delay)  # acquire() sleeps it out
            return
        await self._sleep(backoff_delay(attempt))

    def _observe_headers(self, bucket: str, headers: httpx.Headers) -> None:
        """Remaining 0 means the team's bucket is full until X-RateLimit-Reset (epoch ms)."""
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            if int(remaining) <= 0:
                self.pacer.block_until(bucket, int(reset) / 1000.0)
        except ValueError:
            return


def _connection_error(exc: httpx.TransportError) -> DncConnectionError:
    # httpx messages name the host at most; the Authorization header never appears in them.
    return DncConnectionError(f"{type(exc).__name__}: could not complete the request")


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


def _parse(model: type[_M], data: Any) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError:
        raise DncApiError(200, "bad_response", f"answer does not match {model.__name__}") from None
