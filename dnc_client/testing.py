"""Frozen time for tests of code built on this client: pacing and 429 waits take no real time.

    clock = FrozenClock()
    client = AsyncDncClient(url, key, clock=clock, sleep=FakeSleep(clock), transport=...)

`FrozenClock` is also a valid `clock` for the reference server's `Settings`, so one clock can
drive a whole in-process stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.lowlevel

__all__ = ["FakeSleep", "FakeSyncSleep", "FrozenClock"]


@dataclass
class FrozenClock:
    """A settable epoch clock: time moves only when told to."""

    now: float = 1_763_460_000.0  # 2025-11-18T10:00:00Z, the seeds' example day

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeSleep:
    """An async sleep that records each request and advances the clock instead of waiting."""

    clock: FrozenClock
    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)
        await anyio.lowlevel.checkpoint()


@dataclass
class FakeSyncSleep:
    """The blocking twin of `FakeSleep`."""

    clock: FrozenClock
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)
