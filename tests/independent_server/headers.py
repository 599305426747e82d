"""Rate-limit response headers and `Retry-After`, the variant's way.

Seed 002 says rate-limit information is included in response headers but names none; the spec's
`rate-limit-headers` decision lets other implementations pick other names.
"""

from __future__ import annotations

import math

from .clock import Clock
from .ratelimit import Decision
from .variants import Variant

__all__ = ["rate_limit_headers"]


def rate_limit_headers(
    decision: Decision, bucket: str, window_s: float, variant: Variant, clock: Clock
) -> dict[str, str]:
    """Headers for an answer that went through the limiter (429 included)."""
    seconds = max(0, math.ceil(decision.reset_at - clock.monotonic()))
    headers: dict[str, str] = {}
    if variant.rate_limit_headers == "none":
        pass
    elif variant.rate_limit_headers == "x-ratelimit":
        headers["X-RateLimit-Limit"] = str(decision.limit)
        headers["X-RateLimit-Remaining"] = str(decision.remaining)
        headers["X-RateLimit-Reset"] = str(math.ceil(clock.wall_ms_at(decision.reset_at) / 1000))
    elif variant.rate_limit_headers == "structured":
        window = max(1, math.ceil(window_s))
        headers["RateLimit-Policy"] = f'"{bucket}";q={decision.limit};w={window}'
        headers["RateLimit"] = f'"{bucket}";r={decision.remaining};t={seconds}'
    else:
        headers["RateLimit-Limit"] = str(decision.limit)
        headers["RateLimit-Remaining"] = str(decision.remaining)
        headers["RateLimit-Reset"] = str(seconds)
    if not decision.admitted and variant.retry_after == "http-date":
        headers["Retry-After"] = clock.http_date(clock.wall_ms_at(decision.reset_at))
    return headers
