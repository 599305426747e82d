"""When to retry a request, and how long to wait first: pure functions and named constants.

Why each retry is safe (openapi.yaml `x-dnc-decisions`):

- A 429 is never admitted (decision `rate-limit-counting`; order `rate-limit-order`: auth, then
  rate limit, then validation), so the API did nothing. Every operation may be resent after the
  wait, including add, batch and delete.
- `NOT_SENT` (the connection was never made) is safe for every operation for the same reason.
- `AMBIGUOUS` (timeout, broken connection, 5xx) may have happened server-side. Only operations
  whose replay cannot change the outcome are resent:
  - check and list only read;
  - add is idempotent in effect: a replay of an add that went through answers 409, which
    `dnc_add` reports as "already on the list", the same end state the agent asked for.
  - batch is NOT replayed: the list would end the same, but the replay would report the first
    attempt's `added` entries as `duplicate`, and the counts the agent reports would be wrong.
  - delete is NOT replayed: it is destructive and human-confirmed once; an unclear outcome is
    reported and the agent checks the URL (a replay would answer a misleading 404).
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "AMBIGUOUS_REPLAY_SAFE",
    "BACKOFF_BASE_S",
    "BACKOFF_CAP_S",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_WAIT_S",
    "RESET_MARGIN_S",
    "UNKNOWN_RESET_WAIT_S",
    "Failure",
    "backoff_delay",
    "rate_limit_delay",
    "should_retry",
]


class Failure(enum.Enum):
    """How a request attempt failed, as far as retrying is concerned."""

    RATE_LIMITED = "rate_limited"  # 429: not admitted, nothing happened
    NOT_SENT = "not_sent"  # the connection was never established
    AMBIGUOUS = "ambiguous"  # timeout / broken connection / 5xx: it may have happened


AMBIGUOUS_REPLAY_SAFE: Final = frozenset({"checkDncStatus", "listDncEntries", "addDncEntry"})
DEFAULT_MAX_ATTEMPTS: Final = 4
DEFAULT_MAX_WAIT_S: Final = 65.0  # one documented 60 s window plus clock-skew slack
RESET_MARGIN_S: Final = 0.05  # arrive just after the oldest request leaves the window
UNKNOWN_RESET_WAIT_S: Final = 1.0  # a 429 without resetTime or Retry-After
BACKOFF_BASE_S: Final = 0.25
BACKOFF_CAP_S: Final = 4.0


def should_retry(operation_id: str, failure: Failure, attempt: int, max_attempts: int) -> bool:
    """Whether attempt number `attempt` (1-based) that failed this way may be sent again."""
    if attempt >= max_attempts:
        return False
    if failure is Failure.AMBIGUOUS:
        return operation_id in AMBIGUOUS_REPLAY_SAFE
    return True


def rate_limit_delay(reset_at: float | None, now: float, max_wait_s: float) -> float | None:
    """Seconds to wait after a 429 lifting at `reset_at` (epoch s); None if longer than allowed."""
    delay = UNKNOWN_RESET_WAIT_S if reset_at is None else max(0.0, reset_at - now) + RESET_MARGIN_S
    return delay if delay <= max_wait_s else None


def backoff_delay(attempt: int) -> float:
    """Exponential back-off before resending after a connection failure or 5xx."""
    return float(min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))
