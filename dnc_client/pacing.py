"""Client-side pacing: stay under each rate-limit bucket instead of running into 429s.

The API limits each team per bucket (`write`, `read`, `batch`) over a rolling window. The pacing
state remembers when this client sent each request and says how long the next one must wait
until it fits. Other clients of the same team spend the same budget, so the server's own view
wins: an exhausted bucket reported by `X-RateLimit-Remaining: 0` (or a 429) blocks that bucket
until its reset.

`PacingState` is pure bookkeeping (no locks, no sleeping), shared by the two pacers that wait on
it: `AsyncPacer` (anyio) and `SyncPacer` (threads). The budget belongs to one API key: whoever
talks to the API with several keys keeps one state per key (`PacingStates`). The clock and the
sleep function are injected; tests never sleep for real.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Final

import anyio

__all__ = [
    "MAX_PACED_KEYS",
    "AsyncPacer",
    "Clock",
    "PacingState",
    "PacingStates",
    "PacingTimeout",
    "Sleep",
    "SyncPacer",
    "SyncSleep",
    "pacing_delay",
]

MAX_PACED_KEYS: Final = 10_000

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
SyncSleep = Callable[[float], None]


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


class PacingState:
    """Per-bucket send times and server-reported blocks for one API key."""

    def __init__(self, limits: Mapping[str, int], window_s: float) -> None:
        self.limits = dict(limits)
        self.window_s = window_s
        self._sent: dict[str, deque[float]] = {bucket: deque() for bucket in limits}
        self._blocked_until: dict[str, float] = {}

    def delay(self, bucket: str, now: float, share: float = 1.0) -> float:
        """How long the next request in `bucket` would wait at `now`, using at most `share`
        of the bucket's limit (a bulk run leaves the rest to single requests)."""
        sent = self._sent[bucket]
        while sent and sent[0] <= now - self.window_s:
            sent.popleft()
        blocked = self._blocked_until.get(bucket, 0.0) - now
        limit = max(1, int(self.limits[bucket] * share))
        return max(0.0, blocked, pacing_delay(sent, now, limit, self.window_s))

    def record(self, bucket: str, now: float) -> None:
        """One request of `bucket` is being sent at `now`."""
        self._sent[bucket].append(now)

    def block_until(self, bucket: str, until: float) -> None:
        """The server says `bucket` is exhausted until `until` (epoch seconds)."""
        self._blocked_until[bucket] = max(self._blocked_until.get(bucket, 0.0), until)

    def forget_last(self, bucket: str) -> None:
        """The last counted request was not admitted (429): it does not use budget."""
        if self._sent[bucket]:
            self._sent[bucket].pop()


class PacingStates:
    """One `PacingState` per API key, for a process that acts for several teams.

    Keys are looked up by a fingerprint the caller computes (never the key itself), so this
    registry holds no secret. It keeps the `max_keys` most recently used: a server that takes
    keys from its callers must not grow without bound when a caller sends random ones, and a
    forgotten budget costs at most a 429 that the client then waits out.
    """

    def __init__(
        self, limits: Mapping[str, int], window_s: float, *, max_keys: int = MAX_PACED_KEYS
    ) -> None:
        self._limits = dict(limits)
        self._window_s = window_s
        self._max_keys = max_keys
        self._states: OrderedDict[str, PacingState] = OrderedDict()
        self._lock = threading.Lock()

    def for_key(self, fingerprint: str) -> PacingState:
        with self._lock:
            state = self._states.get(fingerprint)
            if state is None:
                state = self._states[fingerprint] = PacingState(self._limits, self._window_s)
                if len(self._states) > self._max_keys:
                    self._states.popitem(last=False)
            else:
                self._states.move_to_end(fingerprint)
            return state

    def __len__(self) -> int:
        return len(self._states)


class AsyncPacer:
    """Waits (anyio) until a bucket of `state` has room; concurrent tasks queue per bucket."""

    def __init__(
        self, state: PacingState, *, clock: Clock, sleep: Sleep, max_wait_s: float
    ) -> None:
        self.state = state
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._locks = {bucket: anyio.Lock() for bucket in state.limits}

    def delay(self, bucket: str, share: float = 1.0) -> float:
        return self.state.delay(bucket, self._clock(), share)

    async def acquire(self, bucket: str, share: float = 1.0) -> None:
        """Wait until `bucket` has room, then count one request; PacingTimeout if too long.

        No lock is held while sleeping: a single request (share 1) is not queued behind a bulk
        run waiting for its smaller share."""
        while True:
            async with self._locks[bucket]:
                delay = self.delay(bucket, share)
                if delay <= 0:
                    self.state.record(bucket, self._clock())
                    return
            if delay > self._max_wait_s:
                raise PacingTimeout(bucket, delay)
            await self._sleep(delay)


class SyncPacer:
    """Waits (blocking the calling thread) until a bucket of `state` has room."""

    def __init__(
        self,
        state: PacingState,
        *,
        clock: Clock = time.time,
        sleep: SyncSleep = time.sleep,
        max_wait_s: float,
    ) -> None:
        self.state = state
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._locks = {bucket: threading.Lock() for bucket in state.limits}

    def delay(self, bucket: str, share: float = 1.0) -> float:
        return self.state.delay(bucket, self._clock(), share)

    def acquire(self, bucket: str, share: float = 1.0) -> None:
        """Wait until `bucket` has room, then count one request; PacingTimeout if too long."""
        while True:
            with self._locks[bucket]:
                delay = self.delay(bucket, share)
                if delay <= 0:
                    self.state.record(bucket, self._clock())
                    return
            if delay > self._max_wait_s:
                raise PacingTimeout(bucket, delay)
            self._sleep(delay)
