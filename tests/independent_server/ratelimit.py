"""Exact rolling-window rate limits per team and bucket.

A request at monotonic time t occupies a slot until t + window. Requests answered 429 are counted
too (the spec's `rate-limit-counting` allows it), so `reset_at` is the moment enough earlier
requests have left the window for one more to be admitted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["BUCKET_LIMITS", "Decision", "RollingWindowLimiter"]

BUCKET_LIMITS: Mapping[str, int] = {"write": 30, "read": 60, "batch": 10}


@dataclass(frozen=True)
class Decision:
    admitted: bool
    limit: int
    remaining: int
    reset_at: float
    """Monotonic time at which one more request would be admitted (or a slot frees up)."""


class RollingWindowLimiter:
    """Synchronous (never awaits): each call is atomic on the event loop."""

    def __init__(
        self,
        window_s: float,
        now: Callable[[], float],
        limits: Mapping[str, int] = BUCKET_LIMITS,
    ) -> None:
        self._window_s = window_s
        self._now = now
        self._limits = dict(limits)
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def _window(self, team_id: str, bucket: str, now: float) -> deque[float]:
        hits = self._hits.setdefault((team_id, bucket), deque())
        while hits and hits[0] <= now - self._window_s:
            hits.popleft()
        return hits

    def hit(self, team_id: str, bucket: str) -> Decision:
        """Count one request; admitted when fewer than `limit` requests are in the window."""
        now = self._now()
        limit = self._limits[bucket]
        hits = self._window(team_id, bucket, now)
        admitted = len(hits) < limit
        hits.append(now)
        if admitted:
            return Decision(True, limit, limit - len(hits), hits[0] + self._window_s)
        blocking = hits[len(hits) - limit]
        return Decision(False, limit, 0, blocking + self._window_s)

    def note(self, team_id: str, bucket: str) -> None:
        """Count a request without deciding on it (an invalid request that is answered 400)."""
        now = self._now()
        self._window(team_id, bucket, now).append(now)
