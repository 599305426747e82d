"""Approvals end to end: issue one, decide it on the page, carry out the deletion exactly once.

The deletion happens when a human approves on the page, carried out by whoever holds the
team's key at that moment:

- single-tenant: the server itself (its one configured key), right in the page's POST;
- multi-tenant: the replica that issued the approval, from its in-memory `KeyVault`: right in
  the POST when the POST reaches it, else within `poll_s` by `sweep` (another replica recorded
  the yes in the shared store); a tool call that waits for the decision (URL elicitation)
  carries it out with its own request's key.

`approved -> deleting` is a compare-and-set in the store, so only one of them ever sends the
DELETE. Every step is in the audit log with the team and the key's fingerprint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Final

import anyio

from dnc_client import Clock, NotFoundError, Sleep
from mcp_server.api import DncApi
from mcp_server.audit import AuditLog
from mcp_server.deletion.approval.model import (
    FINAL_STATUSES,
    Approval,
    Decision,
    Status,
    new_approval,
)
from mcp_server.deletion.approval.security import Refusal, secrets_match
from mcp_server.deletion.approval.signin import SignIn
from mcp_server.deletion.approval.store import ApprovalStore
from mcp_server.deletion.approval.vault import KeyVault
from mcp_server.deletion.execute import DELETE_TOOL, Channel, Consent, delete_and_audit
from mcp_server.deletion.target import DeleteTarget
from mcp_server.errors import agent_message

__all__ = [
    "APPROVED_ON_PAGE",
    "DEFAULT_APPROVAL_TTL_S",
    "ApiOpener",
    "ApprovalService",
    "ApprovalSubject",
    "Decided",
]

DEFAULT_APPROVAL_TTL_S: Final = 600.0
APPROVED_ON_PAGE: Final = "approved on the approval page"
KEY_GRACE_S: Final = 30.0  # a yes in the last second is still carried out by the key holder
ApiOpener = Callable[[Approval], AbstractAsyncContextManager[DncApi] | None]
PageStarter = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class Decided:
    """The approval after a POST; `fresh` when this POST decided it (not a replay)."""

    approval: Approval
    fresh: bool


@dataclass(frozen=True)
class ApprovalSubject:
    """What is to be approved, and for whom (never the key itself)."""

    entry_id: str
    url: str | None
    entry_created_at: str | None
    team: str | None
    key_fingerprint: str


class ApprovalService:
    """Issues approvals, takes the human's decision, and settles approved deletions."""

    def __init__(
        self,
        *,
        store: ApprovalStore,
        vault: KeyVault,
        audit: AuditLog,
        open_api: ApiOpener,
        clock: Clock,
        ttl_s: float = DEFAULT_APPROVAL_TTL_S,
        sleep: Sleep = anyio.sleep,
        poll_s: float = 0.25,
    ) -> None:
        self.store = store
        self.vault = vault
        self._audit = audit
        self._open_api = open_api
        self._clock = clock
        self._ttl_s = ttl_s
        self._sleep = sleep
        self._poll_s = poll_s
        self.base_url: str | None = None  # set once the page is served
        # stdio: starts the loopback page on first need and returns its base URL
        self.start_page: PageStarter | None = None
        # hosted servers: the approver signs in before the page shows anything deletable
        self.sign_in: SignIn | None = None

    async def link(self, approval: Approval) -> str:
        """The approval's page, served from now on (stdio mode starts the page on first need)."""
        if self.base_url is None and self.start_page is not None:
            self.base_url = await self.start_page()
        if self.base_url is None:
            raise RuntimeError("the approval page is not served")
        return f"{self.base_url}/approve/{approval.id}"

    # ---- issuing ---------------------------------------------------------------------------

    async def request(
        self, subject: ApprovalSubject, *, key: str | None, channel: Channel
    ) -> Approval:
        """The team's pending approval for this entry, or a new one; `key` is held in memory."""
        now = self._clock()
        existing = await self.store.pending_for(subject.key_fingerprint, subject.entry_id)
        if existing is not None and existing.status == "pending" and not existing.is_expired(now):
            approval = existing
        else:
            approval = new_approval(
                entry_id=subject.entry_id,
                url=subject.url,
                entry_created_at=subject.entry_created_at,
                team=subject.team,
                key_fingerprint=subject.key_fingerprint,
                now=now,
                ttl_s=self._ttl_s,
                channel=channel,
            )
            await self.store.add(approval)
            self._record(approval, "approval_requested", channel=channel)
        if key is not None:
            self.vault.hold(approval.id, key, until=approval.expires_at + KEY_GRACE_S)
        return approval

    # ---- deciding ----------------------------------------------------------------------------

    async def current(self, approval_id: str) -> Approval | None:
        """The approval as it stands now (an overdue pending one becomes expired)."""
        approval = await self.store.get(approval_id)
        if approval is not None and approval.is_expired(self._clock()):
            return await self._expire(approval)
        return approval

    async def decide(
        self,
        approval_id: str,
        secret: str | None,
        decision: Decision,
        *,
        approver: str | None = None,
    ) -> Decided | Refusal:
        """A POST of the page's form: single use, before expiry, with the page's secret;
        `approver` is the fingerprint of the credential the person signed in with, if any."""
        approval = await self.current(approval_id)
        if approval is None:
            return Refusal(404, "There is no such approval request (or it is long gone).")
        if not secrets_match(secret, approval.secret):
            return Refusal(403, "This form does not belong to this approval request.")
        if approval.status != "pending":
            return Decided(approval, fresh=False)  # replayed, raced or expired: nothing new
        to: Status = "approved" if decision == "approve" else "declined"
        moved = await self.store.transition(
            approval_id,
            expected={"pending"},
            to=to,
            at=self._clock(),
            detail="approval page",
            by=approver,
        )
        if moved is None:
            current = await self.store.get(approval_id)
            return Decided(current or approval, fresh=False)
        if moved.status == "declined":
            self.vault.drop(moved.id)
            self._record(moved, "not_deleted: declined on the approval page", approver=approver)
            return Decided(moved, fresh=True)
        return Decided(await self.settle(moved), fresh=True)

    async def cancel(self, approval_id: str, why: str) -> Approval | None:
        """The human would not open the page (elicitation declined): nothing is deleted."""
        moved = await self.store.transition(
            approval_id, expected={"pending"}, to="declined", at=self._clock(), detail=why
        )
        self.vault.drop(approval_id)
        if moved is not None:
            self._record(moved, f"not_deleted: {why}")
        return moved if moved is not None else await self.store.get(approval_id)

    # ---- carrying out --------------------------------------------------------------------------

    async def settle(self, approval: Approval, api: DncApi | None = None) -> Approval:
        """Carry out an approved deletion if this caller holds a key; exactly once overall."""
        if approval.status != "approved":
            return approval
        if api is not None:
            return await self._carry_out(approval, api)
        opened = self._open_api(approval)
        if opened is None:
            return approval  # another holder of the key will (or the approval lapses)
        async with opened as held_api:
            return await self._carry_out(approval, held_api)

    async def _carry_out(self, approval: Approval, api: DncApi) -> Approval:
        claimed = await self.store.transition(
            approval.id, expected={"approved"}, to="deleting", at=self._clock()
        )
        if claimed is None:
            current = await self.store.get(approval.id)
            return current if current is not None else approval
        target = DeleteTarget(
            entry_id=approval.entry_id,
            url=approval.url,
            created_at=approval.entry_created_at,
            team=approval.team,
        )
        consent = Consent(
            channel="url" if approval.channel == "url" else "page",
            confirmed_by=APPROVED_ON_PAGE,
            at=claimed.decided_at or self._clock(),
            approver=claimed.approved_by,
        )
        try:
            done = await delete_and_audit(
                api,
                self._audit,
                target,
                consent,
                approval=approval.id,
                team=approval.team,
                key_fingerprint=approval.key_fingerprint,
            )
        finally:
            self.vault.drop(approval.id)
        if done.deleted:
            moved = await self.store.transition(
                approval.id, expected={"deleting"}, to="deleted", at=self._clock()
            )
        else:
            detail = (
                "The entry was no longer on the list (404)."
                if isinstance(done.error, NotFoundError) or done.error is None
                else agent_message(done.error)
            )
            moved = await self.store.transition(
                approval.id, expected={"deleting"}, to="failed", at=self._clock(), detail=detail
            )
        return moved or await self.store.get(approval.id) or claimed

    async def wait(
        self,
        approval_id: str,
        api: DncApi | None,
        on_tick: Callable[[Approval], Awaitable[None]] | None = None,
    ) -> Approval:
        """Until the approval is final (deleted, declined, expired, failed); settles with `api`.

        Bounded: a deletion another replica started and never finished (it crashed) stops the
        wait a grace period after expiry, with the approval as it stands.
        """
        while True:
            approval = await self.current(approval_id)
            if approval is None:
                raise LookupError(approval_id)
            if approval.status == "approved":
                approval = await self.settle(approval, api)
            overdue = self._clock() >= approval.expires_at + 2 * KEY_GRACE_S
            if approval.status in FINAL_STATUSES or overdue:
                return approval
            if on_tick is not None:
                await on_tick(approval)
            await self._sleep(self._poll_s)

    async def sweep(self) -> None:
        """Settle or expire every approval whose key this process holds (the background job)."""
        for approval_id in self.vault.ids():
            approval = await self.current(approval_id)
            if approval is None or approval.status in FINAL_STATUSES:
                self.vault.drop(approval_id)
            elif approval.status == "approved":
                await self.settle(approval)

    async def run_sweeper(self) -> None:
        """`sweep` forever, every `poll_s` (multi-tenant replicas sharing a store)."""
        while True:
            await self.sweep()
            await self._sleep(self._poll_s)

    async def _expire(self, approval: Approval) -> Approval:
        moved = await self.store.transition(
            approval.id, expected={"pending"}, to="expired", at=self._clock()
        )
        self.vault.drop(approval.id)
        if moved is None:
            current = await self.store.get(approval.id)
            return current if current is not None else approval
        self._record(moved, "not_deleted: approval expired")
        return moved

    def _record(self, approval: Approval, outcome: str, **extra: str | None) -> None:
        self._audit.record(
            tool=DELETE_TOOL,
            url=approval.url,
            entry_id=approval.entry_id,
            outcome=outcome,
            approval=approval.id,
            team=approval.team,
            key_fingerprint=approval.key_fingerprint,
            **extra,
        )
