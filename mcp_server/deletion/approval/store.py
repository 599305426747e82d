"""Where pending approvals live: this process's memory, or Redis for replicas (`redis_store`).

Every change of state is one atomic compare-and-set (`transition`): of two POSTs that approve
the same page, or of two replicas that both want to carry out an approved deletion, exactly one
wins. That is what makes an approval single-use and a deletion happen at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Protocol

from mcp_server.deletion.approval.model import Approval, Status

__all__ = ["RETENTION_S", "ApprovalStore", "MemoryApprovalStore"]

# Decided approvals stay readable this long after they expire, so a human who reloads the page
# sees what happened instead of "unknown".
RETENTION_S: Final = 3600.0


class ApprovalStore(Protocol):
    async def add(self, approval: Approval) -> None:
        """Store a new approval and index it as the pending one for its team and entry."""
        ...

    async def get(self, approval_id: str) -> Approval | None: ...

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
        """Move to `to` if the status is one of `expected`; the new record, or None if not.
        `by` records who decided (the approver's fingerprint)."""
        ...

    async def pending_for(self, key_fingerprint: str, entry_id: str) -> Approval | None:
        """The approval last issued for this team and entry, if any (any status)."""
        ...

    async def aclose(self) -> None: ...


class MemoryApprovalStore:
    """Approvals in this process's memory (one `dnc mcp` process: stdio or one HTTP server).

    Single-threaded asyncio: no `await` inside a method, so each one is atomic.
    """

    def __init__(self) -> None:
        self._records: dict[str, Approval] = {}
        self._latest: dict[tuple[str, str], str] = {}

    async def add(self, approval: Approval) -> None:
        self._purge(approval.created_at)
        self._records[approval.id] = approval
        self._latest[(approval.key_fingerprint, approval.entry_id)] = approval.id

    async def get(self, approval_id: str) -> Approval | None:
        return self._records.get(approval_id)

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
        current = self._records.get(approval_id)
        if current is None or current.status not in set(expected):
            return None
        moved = current.moved(to, at=at, detail=detail, by=by)
        self._records[approval_id] = moved
        return moved

    async def pending_for(self, key_fingerprint: str, entry_id: str) -> Approval | None:
        approval_id = self._latest.get((key_fingerprint, entry_id))
        return self._records.get(approval_id) if approval_id is not None else None

    async def aclose(self) -> None:
        self._records.clear()
        self._latest.clear()

    def _purge(self, now: float) -> None:
        stale = [a for a in self._records.values() if now >= a.expires_at + RETENTION_S]
        for approval in stale:
            del self._records[approval.id]
            key = (approval.key_fingerprint, approval.entry_id)
            if self._latest.get(key) == approval.id:
                del self._latest[key]
