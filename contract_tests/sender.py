"""The one paced, 429-retrying send loop: the suite's client and the Schemathesis gate both send
through `paced_send`, so pacing, recording and waiting out an unplanned 429 are written once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from contract_tests.pacing import Pacer

if TYPE_CHECKING:  # the client imports this module
    from contract_tests.client import Exchange

MAX_ATTEMPTS = 4


def reset_wait(exchange: Exchange, window_s: float) -> float:
    """Seconds until the 429's resetTime (a little after), or a whole window when it names no
    usable moment."""
    reset = exchange.json_object.get("resetTime")
    if isinstance(reset, int | float) and not isinstance(reset, bool):
        wait = reset / 1000.0 - time.time() + 0.1
        if 0 < wait <= window_s + 5:
            return wait
    return window_s + 0.5


def sleep_until(moment: float) -> None:
    """Sleep until the wall-clock `moment` (no-op when it has passed)."""
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def paced_send(
    send: Callable[[], Exchange],
    *,
    pacer: Pacer,
    team: str,
    bucket: str | None,
    window_s: float,
    paced: bool = True,
    retry_429: bool = True,
) -> Exchange:
    """`send()` within the team's bucket budget (waiting if `paced`), its answer counted now;
    an unplanned 429 to a team key is waited out until resetTime and sent again (counted)."""
    exchange: Exchange | None = None
    for _attempt in range(MAX_ATTEMPTS):
        if bucket is not None:
            pacer.acquire(team, bucket, paced=paced)
        try:
            exchange = send()
        finally:
            if bucket is not None:
                pacer.record_done(team, bucket)
        if exchange.status != 429 or not retry_429 or team == "-":
            return exchange
        wait = reset_wait(exchange, window_s)
        if bucket is not None:
            pacer.penalise(team, bucket, time.monotonic() + wait)
        else:  # a method the pages do not name, throttled anyway: wait and count it
            pacer.unplanned_429["other"] += 1
            time.sleep(wait)
    assert exchange is not None
    return exchange
