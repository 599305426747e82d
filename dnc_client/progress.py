"""Progress of a bulk helper, reported to a callback after each request it completes."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["BulkProgress", "ProgressCallback", "notify", "notify_async"]


@dataclass(frozen=True)
class BulkProgress:
    """`done` of `total` (None while unknown, e.g. the length of a list being read)."""

    phase: Literal["snapshot", "check", "add"]
    done: int
    total: int | None
    message: str


# A plain function, or (for the async client) a coroutine function.
ProgressCallback = Callable[[BulkProgress], object]


def notify(callback: ProgressCallback | None, progress: BulkProgress) -> None:
    if callback is not None:
        callback(progress)


async def notify_async(callback: ProgressCallback | None, progress: BulkProgress) -> None:
    if callback is not None:
        result = callback(progress)
        if inspect.isawaitable(result):
            await result
