"""Pending approvals in Redis, shared by `--stateless` replicas behind a load balancer.

A record is the approval's JSON under `dnc-mcp:approval:<id>`, expiring `RETENTION_S` after the
approval does. Every change of state is one Lua script (atomic in Redis): read, compare the
status, write. No API key is ever written to Redis; the page secret is, since whoever can write
to this Redis could approve a deletion directly anyway.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Final

from mcp_server.deletion.approval.model import Approval, Status
from mcp_server.deletion.approval.store import RETENTION_S

__all__ = ["KEY_PREFIX", "RedisApprovalStore"]

KEY_PREFIX: Final = "dnc-mcp:"

# KEYS[1] the record; ARGV: new status, time (s), detail ('' for none), decided by ('' for
# none), allowed statuses...
_TRANSITION: Final = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local record = cjson.decode(raw)
local allowed = false
for i = 5, #ARGV do
  if record['status'] == ARGV[i] then allowed = true end
end
if not allowed then return false end
if record['status'] == 'pending' then record['decided_at'] = tonumber(ARGV[2]) end
record['status'] = ARGV[1]
if ARGV[3] ~= '' then record['detail'] = ARGV[3] end
if ARGV[4] ~= '' then record['approved_by'] = ARGV[4] end
local encoded = cjson.encode(record)
redis.call('SET', KEYS[1], encoded, 'KEEPTTL')
return encoded
"""


class RedisApprovalStore:
    """`ApprovalStore` over a `redis.asyncio.Redis` client (which this store closes)."""

    def __init__(self, client: Any, *, prefix: str = KEY_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix
        self._transition = client.register_script(_TRANSITION)

    @classmethod
    def from_url(cls, url: str) -> RedisApprovalStore:
        import redis.asyncio

        return cls(redis.asyncio.Redis.from_url(url))

    def _record_key(self, approval_id: str) -> str:
        return f"{self._prefix}approval:{approval_id}"

    def _latest_key(self, key_fingerprint: str, entry_id: str) -> str:
        return f"{self._prefix}latest:{key_fingerprint}:{entry_id}"

    async def add(self, approval: Approval) -> None:
        ttl_ms = max(1, math.ceil((approval.expires_at - approval.created_at + RETENTION_S) * 1000))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._record_key(approval.id), approval.to_json(), px=ttl_ms)
            pipe.set(
                self._latest_key(approval.key_fingerprint, approval.entry_id),
                approval.id,
                px=ttl_ms,
            )
            await pipe.execute()

    async def get(self, approval_id: str) -> Approval | None:
        raw = await self._redis.get(self._record_key(approval_id))
        return Approval.from_json(raw) if raw is not None else None

    async def transition(
        self,
        approval_id: str,
        *,
        expected: Iterable[Status],
        to: Status,
        at: float,
        detail: str | None = None,
        by: str | None = None,
    ) -> Approval | None:
        raw = await self._transition(
            keys=[self._record_key(approval_id)],
            args=[to, repr(at), detail or "", by or "", *expected],
        )
        return Approval.from_json(raw) if raw else None

    async def pending_for(self, key_fingerprint: str, entry_id: str) -> Approval | None:
        approval_id = await self._redis.get(self._latest_key(key_fingerprint, entry_id))
        if approval_id is None:
            return None
        text = approval_id.decode() if isinstance(approval_id, bytes) else str(approval_id)
        return await self.get(text)

    async def aclose(self) -> None:
        await self._redis.aclose()
