"""Per-team rolling-window rate limits: an exact sliding-window log per (team, bucket).

Why not the `limits` package: its moving window counts in whole seconds (`multiples: int`),
so the fractional windows the test suites use (`rate_window_s=0.5`) are impossible, and its
in-memory storage reads `time.time()` itself, so the injected test clock could not drive it.
A log of admission times is exact, tiny (at most `limit` floats per team and bucket) and makes
`resetTime` trivially "when the oldest counted request leaves the window".

All methods are synchronous and called from the event loop, so check-and-record is atomic
with respect to other requests: 60 concurrent writes admit exactly 30.

`Limiter` is what the service needs; `RateLimiter` is the single-process one and
`ratelimit_redis.RedisRateLimiter` the one shared by every instance.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Decision", "Limiter", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int  # when the oldest counted request leaves the window (now if none)
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms),
        }


class Limiter(Protocol):
    async def acquire(self, team_id: str, bucket: str, *, degradable: bool = False) -> Decision:
        """Admit and count one request, or refuse it without counting.

        `degradable`: the operation may be admitted by a per-instance limiter when the shared
        one is unreachable (decision outage-redis); otherwise an outage raises
        ServiceUnavailable.
        """
        ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class RateLimiter:
    def __init__(
        self, limits: Mapping[str, int], window_s: float, clock: Callable[[], float]
    ) -> None:
        self._limits = dict(limits)
        self._window = window_s
        self._clock = clock
        self._logs: dict[tuple[str, str], deque[float]] = {}
        self._hits = 0

    async def acquire(self, team_id: str, bucket: str, *, degradable: bool = False) -> Decision:
        return self.hit(team_id, bucket)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    # Every this many hits, logs of idle (team, bucket) pairs are dropped.
    SWEEP_EVERY = 4096

    def hit(self, team_id: str, bucket: str) -> Decision:
        """Admit and count one request, or refuse it without counting."""
        self._hits += 1
        if self._hits % self.SWEEP_EVERY == 0:
            self.forget_idle()
        now = self._clock()
        limit = self._limits[bucket]
        log = self._logs.setdefault((team_id, bucket), deque())
        horizon = now - self._window
        while log and log[0] <= horizon:
            log.popleft()
        allowed = len(log) < limit
        if allowed:
            log.append(now)
        reset = log[0] + self._window if log else now
        return Decision(
            allowed=allowed,
            limit=limit,
            remaining=limit - len(log),
            reset_ms=math.ceil(reset * 1000),
            retry_after_s=max(0, math.ceil(reset - now)) if not allowed else 0,
        )

    @property
    def tracked(self) -> int:
        """How many (team, bucket) logs are held (for tests and metrics)."""
        return len(self._logs)

    def forget_idle(self) -> None:
        """Drop logs whose every entry has expired, bounding memory to active teams."""
        horizon = self._clock() - self._window
        for key in [k for k, log in self._logs.items() if not log or log[-1] <= horizon]:
            del self._logs[key]
