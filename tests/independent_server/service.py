"""The server's state (store, cache, limiter, audit) and how an entry is shown to clients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .audit import AuditLog
from .cache import CheckCache
from .clock import Clock, iso_timestamp
from .ratelimit import RollingWindowLimiter
from .store import DncStore, Entry
from .variants import Variant

__all__ = ["Caller", "Service"]


@dataclass(frozen=True)
class Caller:
    """The authenticated client: its team and the key it used (only ever fingerprinted)."""

    team_id: str
    api_key: str


@dataclass
class Service:
    variant: Variant
    keys: Mapping[str, str]
    """API key -> team id."""
    window_s: float
    latency_s: float = 0.0
    clock: Clock = field(default_factory=Clock)
    store: DncStore = field(default_factory=DncStore)
    cache: CheckCache = field(init=False)
    limiter: RollingWindowLimiter = field(init=False)
    audit: AuditLog = field(init=False)

    def __post_init__(self) -> None:
        self.cache = CheckCache(self.clock.monotonic)
        self.limiter = RollingWindowLimiter(self.window_s, self.clock.monotonic)
        self.audit = AuditLog(emit=self.variant.audit_to_log)

    def caller(self, api_key: str | None) -> Caller | None:
        if api_key is None or api_key not in self.keys:
            return None
        return Caller(self.keys[api_key], api_key)

    def timestamp(self, wall_ns: int) -> str:
        return iso_timestamp(wall_ns, self.variant.timestamp_precision)

    def show(self, entry: Entry) -> dict[str, Any]:
        stamp = self.timestamp(entry.created_ns)
        return {
            "$id": entry.id,
            "teamId": entry.team_id,
            "url": entry.url,
            "$createdAt": stamp,
            "$updatedAt": stamp,
        }
