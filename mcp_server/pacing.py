"""Client-side pacing: stay under each rate-limit bucket instead of running into 429s.

The API limits each team per bucket (`write`, `read`, `batch`) over a rolling window. The pacer
remembers when this process sent each request and, before the next one, waits until one more
fits. Other clients of the same team spend the same budget, so the server's own view wins:
an exhausted bucket reported by `X-RateLimit-Remaining: 0` (or a 429) blocks that bucket until
its reset. The clock and the sleep function are injected; tests never sleep for real.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping

import anyio

__all__ = ["Clock", "Pacer", "PacingTimeout", "Sleep", "pacing_delay"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class PacingTimeout(Exception):
    """The bucket will not have room within the allowed wait; `delay` says how long it would be."""

    def __init__(self, bucket: str, delay: float) -> None:
        super().__init__(f"bucket {bucket!r} has no room for {delay:.1f} s")
        self.bucket = bucket
        self.delay = delay


def pacing_delay(sent: Iterable[float], now: float, limit: int, window_s: float) -> float:
    """Seconds until one more request fits: `limit` per rolling `window_s`, given past sends."""
    recent = [t for t in sent if t > now - window_s]
    if len(recent) < limit:
        return 0.0
    recent.sort()
    return recent[-limit] + window_s - now


class Pacer:
    """Per-bucket rolling-window pacing for one API key."""

    def __init__(
        self,
        limits: Mapping[str, int],
        window_s: float,
        *,
        clock: Clock,
        sleep: Sleep,
        max_wait_s: float,
    ) -> None:
        self._limits = dict(limits)
        self._window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._sent: dict[str, deque[float]] = {bucket: deque() for bucket in limits}
        self._blocked_until: dict[str, float] = {}
        self._locks = {bucket: anyio.Lock() for bucket in limits}

    def delay(self, bucket: str) -> float:
        """How long the next request in `bucket` would wait now."""
        now = self._clock()
        sent = self._sent[bucket]
        while sent and sent[0] <= now - self._window_s:
            sent.popleft()
        blocked = self._blocked_until.get(bucket, 0.0) - now
        return max(0.0, blocked, pacing_delay(sent, now, self._limits[bucket], self._window_s))

    async def acquire(self, bucket: str) -> None:
        """Wait until `bucket` has room, then count one request; PacingTimeout if too long."""
        async with self._locks[bucket]:
            while (delay := self.delay(bucket)) > 0:
                if delay > self._max_wait_s:
                    raise PacingTimeout(bucket, delay)
                await self._sleep(delay)
            self._sent[bucket].append(self._clock())

    def block_until(self, bucket: str, until: float) -> None:
        """The server says `bucket` is exhausted until `until` (epoch seconds)."""
        self._blocked_until[bucket] = max(self._blocked_until.get(bucket, 0.0), until)

    def forget_last(self, bucket: str) -> None:
        """The last counted request was not admitted (429): it does not use budget."""
        if self._sent[bucket]:
            self._sent[bucket].pop()
