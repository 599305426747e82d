"""A client-side pacer shared by the whole run: per team and bucket, a sliding window of the
documented size, so the suite's own traffic never trips a 429 outside the rate-limit tests."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable

from contract_tests.config import LIMITS
from dnc_kit import load_openapi
from dnc_kit.contract import OPERATION_BUCKETS

# Which bucket each operation spends, as openapi.yaml's `x-rate-limit` says (add+delete share
# "write", check+list "read").
BUCKET_OF_OPERATION: dict[str, str] = dict(OPERATION_BUCKETS)


def _routes() -> tuple[dict[tuple[str, str], str], list[tuple[str, str, str]]]:
    """(method, literal path) -> bucket, and (method, path prefix, bucket) of templated paths
    (`/dnc/{id}` -> prefix `/dnc/`), both from the spec's paths."""
    literal: dict[tuple[str, str], str] = {}
    templated: list[tuple[str, str, str]] = []
    for path, methods in load_openapi()["paths"].items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            bucket = BUCKET_OF_OPERATION[operation["operationId"]]
            if "{" in path:
                templated.append((method.upper(), path.split("{", 1)[0], bucket))
            else:
                literal[(method.upper(), path.rstrip("/"))] = bucket
    return literal, templated


_LITERAL, _TEMPLATED = _routes()
_LITERAL_PATHS = {path for _, path in _LITERAL}


def bucket_for(method: str, path: str) -> str | None:
    """The bucket a request to `path` (relative to the base URL, e.g. `/dnc/check`) spends."""
    method = method.upper()
    clean = path.split("?", 1)[0].rstrip("/")
    if clean in _LITERAL_PATHS:  # a literal path wins over a template (OpenAPI path matching)
        return _LITERAL.get((method, clean))
    for verb, prefix, bucket in _TEMPLATED:
        rest = clean.removeprefix(prefix)
        if verb == method and rest != clean and rest:
            return bucket
    return None


class Pacer:
    """Sliding-window bookkeeping of every request per (team, bucket).

    `acquire` blocks until one more request fits in the window; `drain` waits until the bucket
    has seen no request for a whole window (plus margin), so a rate-limit test starts from zero.
    """

    def __init__(
        self,
        window_s: float,
        limits: dict[str, int] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.window_s = window_s
        self.limits = dict(limits or LIMITS)
        self.margin_s = max(0.1, 0.03 * window_s)
        self._clock = clock
        self._sleep = sleep
        self._log: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self.unplanned_429: Counter[str] = Counter()
        # Requests sent before this run (an earlier run, another client) are unknown: a drain
        # waits at least one window from the moment the pacer was created.
        self._created = clock()

    def _entries(self, team: str, bucket: str) -> deque[float]:
        return self._log.setdefault((team, bucket), deque())

    def _expire(self, log: deque[float], now: float) -> None:
        while log and now - log[0] >= self.window_s + self.margin_s:
            log.popleft()

    def acquire(self, team: str, bucket: str, *, paced: bool = True) -> None:
        """Wait (if `paced`) until one more request fits in the window."""
        limit = self.limits[bucket]
        while True:
            with self._lock:
                now = self._clock()
                log = self._entries(team, bucket)
                self._expire(log, now)
                if not paced or len(log) < limit:
                    return
                delay = log[0] + self.window_s + self.margin_s - now
            self._sleep(max(delay, 0.01))

    def record_done(self, team: str, bucket: str) -> None:
        """Move the last counted request of the bucket to "now" (the answer arrived now).

        Counting from the answer rather than the send keeps the estimate on the safe side of the
        server's own clock.
        """
        with self._lock:
            log = self._entries(team, bucket)
            log.append(self._clock())

    def last_use(self, team: str, bucket: str) -> float | None:
        with self._lock:
            log = self._entries(team, bucket)
            return log[-1] if log else None

    def drain(self, team: str, bucket: str) -> None:
        """Wait until the bucket has seen no request for a full window."""
        last = max(self.last_use(team, bucket) or self._created, self._created)
        # A wider margin than for pacing: servers that count in whole seconds or round
        # timestamps up must also see an empty bucket.
        delay = last + self.window_s + max(0.5, 0.1 * self.window_s) - self._clock()
        if delay > 0:
            self._sleep(delay)
        with self._lock:
            self._entries(team, bucket).clear()

    def penalise(self, team: str, bucket: str, until: float) -> None:
        """After an unplanned 429: treat the bucket as full until the monotonic time `until`."""
        with self._lock:
            log = self._entries(team, bucket)
            stamp = until - self.window_s - self.margin_s
            log.clear()
            log.extend([stamp] * self.limits[bucket])
            self.unplanned_429[bucket] += 1
