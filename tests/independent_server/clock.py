"""The server's clock: wall time shifted by `--clock-skew-s`, plus a monotonic clock for windows.

Rate-limit windows and cache lifetimes are measured on the monotonic clock; only what a client
sees (timestamps, `resetTime`, `Date`) comes from the skewed wall clock.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from email.utils import format_datetime

__all__ = ["Clock", "iso_timestamp"]


class Clock:
    """Skewed wall clock in nanoseconds that never runs backwards, and a monotonic clock."""

    def __init__(self, skew_s: float = 0.0) -> None:
        self._skew_ns = round(skew_s * 1_000_000_000)
        self._last_wall_ns = 0

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_ns(self) -> int:
        now = time.time_ns() + self._skew_ns
        self._last_wall_ns = max(now, self._last_wall_ns)
        return self._last_wall_ns

    def wall_ms_at(self, monotonic_s: float) -> int:
        """The skewed epoch milliseconds (rounded up) at a moment given on the monotonic clock."""
        ahead_s = monotonic_s - time.monotonic()
        return math.ceil((time.time_ns() + self._skew_ns) / 1_000_000 + ahead_s * 1000)

    def http_date(self, epoch_ms: int | None = None) -> str:
        """An RFC 9110 IMF-fixdate for now, or for the given epoch milliseconds (rounded up)."""
        now_s = self.wall_ns() // 1_000_000_000
        seconds = now_s if epoch_ms is None else math.ceil(epoch_ms / 1000)
        return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


def iso_timestamp(wall_ns: int, precision: str) -> str:
    """ISO 8601 UTC with microseconds (`us`), milliseconds (`ms`) or whole seconds (`s`)."""
    seconds, rest_ns = divmod(wall_ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if precision == "us":
        return f"{base}.{rest_ns // 1000:06d}Z"
    if precision == "ms":
        return f"{base}.{rest_ns // 1_000_000:03d}Z"
    return f"{base}Z"
