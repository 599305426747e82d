"""One Lua script's calls, sent together: every call made in one turn of the event loop goes
to Redis as one pipeline (one write, one read, one connection from the pool).

On a busy replica the checks of many connections reach their Redis call in the same turn.
Each call alone paid a pool checkout, a send and a wake-up of Redis and of this process;
together they pay them once. A call waits at most for the end of the current turn.

Failures stay per call where Redis reports them per call (an error reply fails that call
alone, with `ServiceUnavailable` as before); an unreachable Redis fails every call of the
batch with `ServiceUnavailable`, through `RedisLink.call` and its circuit breaker. A Redis
that forgot the script (restart,
SCRIPT FLUSH) is given it again and the calls it refused are sent once more.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from redis.exceptions import NoScriptError, ResponseError

from reference_server.errors import ServiceUnavailable
from reference_server.logs import log_event
from reference_server.redis_link import RedisLink

__all__ = ["BatchedScript"]

_Call = tuple[Sequence[str], Sequence[object], "asyncio.Future[Any]"]


class BatchedScript:
    def __init__(self, link: RedisLink, source: str) -> None:
        self._link = link
        self._source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis' script id
        self._queue: list[_Call] = []
        self._sending: set[asyncio.Task[None]] = set()
        self.batches = 0

    async def __call__(self, keys: Sequence[str], args: Sequence[object]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append((keys, args, future))
        return await future

    def _flush(self) -> None:
        batch, self._queue = self._queue, []
        task = asyncio.ensure_future(self._send(batch))
        # Kept so the task is not garbage-collected mid-flight, and awaited by `close`.
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Call]) -> None:
        self.batches += 1
        try:
            replies = await self._pipeline(batch)
            retry = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if retry:
                await self._link.call(lambda client: client.script_load(self._source))
                again = await self._pipeline([batch[i] for i in retry])
                for i, reply in zip(retry, again, strict=True):
                    replies[i] = reply
        except ServiceUnavailable:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(ServiceUnavailable("redis"))
            return
        except BaseException as error:  # cancelled at shutdown, or a bug: no caller hangs
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(ServiceUnavailable("redis"))
            if not isinstance(error, Exception):
                raise
            log_event("redis_batch_failed", logging.ERROR, error=type(error).__name__)
            return
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if future.done():
                continue  # its caller was cancelled
            if isinstance(reply, ResponseError):
                # The script failed for this call alone: its caller degrades as for an
                # unreachable Redis, and the others keep their answers.
                log_event("redis_script_error", logging.ERROR, error=type(reply).__name__)
                future.set_exception(ServiceUnavailable("redis"))
            else:
                future.set_result(reply)

    async def _pipeline(self, batch: list[_Call]) -> list[Any]:
        async def send(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for keys, args, _ in batch:
                pipe.evalsha(self.sha, len(keys), *keys, *args)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
            return replies

        return await self._link.call(send)

    async def close(self) -> None:
        if self._sending:
            await asyncio.wait(self._sending, timeout=2)
