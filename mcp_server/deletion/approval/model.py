"""One pending human approval of one deletion: what it is about, where it stands, and the moves.

    pending ──approve──▶ approved ──claim──▶ deleting ──▶ deleted | failed
       ├──decline──────▶ declined
       └──(expires_at)──▶ expired

The approval's `id` is in the link the human opens: it names the approval and authorizes
nothing. The `secret` is the page form's hidden field, needed to decide; it is never in a tool
result, a log line or the audit log. A record holds no API key: in multi-tenant mode the key
waits in the process memory of the replica that issued the approval (`KeyVault`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final, Literal, get_args
from urllib.parse import unquote, urlsplit

__all__ = [
    "APPROVAL_ID_PREFIX",
    "FINAL_STATUSES",
    "Approval",
    "Decision",
    "Status",
    "new_approval",
    "profile_username",
]

Status = Literal["pending", "approved", "declined", "expired", "deleting", "deleted", "failed"]
Decision = Literal["approve", "decline"]
FINAL_STATUSES: Final = frozenset({"declined", "expired", "deleted", "failed"})
APPROVAL_ID_PREFIX: Final = "apr_"
_STATUSES: Final = frozenset(get_args(Status))


@dataclass(frozen=True, kw_only=True)
class Approval:
    """A request for a human's yes to delete one entry, and its outcome."""

    id: str
    secret: str = field(repr=False)
    entry_id: str
    url: str | None
    entry_created_at: str | None
    team: str | None
    key_fingerprint: str
    created_at: float
    expires_at: float
    status: Status = "pending"
    decided_at: float | None = None
    detail: str | None = None  # what went wrong, for `failed`; how it was decided otherwise
    channel: str = "page"  # how the human was sent here: "page" (a link) or "url" (elicitation)
    approved_by: str | None = None  # fingerprint of the approver's credential, once proven

    def moved(
        self, status: Status, *, at: float, detail: str | None = None, by: str | None = None
    ) -> Approval:
        decided = at if self.status == "pending" else self.decided_at
        return replace(
            self,
            status=status,
            decided_at=decided,
            detail=detail or self.detail,
            approved_by=by or self.approved_by,
        )

    def is_expired(self, now: float) -> bool:
        return self.status == "pending" and now >= self.expires_at

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Approval:
        data: dict[str, Any] = json.loads(text)
        if data.get("status") not in _STATUSES:
            raise ValueError("not an approval record")
        return cls(**data)


def profile_username(url: str | None) -> str | None:
    """The username of a LinkedIn profile URL (`.../in/<username>`), or None."""
    if url is None:
        return None
    parts = [unquote(part) for part in urlsplit(url).path.split("/") if part]
    return parts[1] if len(parts) >= 2 and parts[0] == "in" else None


def new_approval(
    *,
    entry_id: str,
    url: str | None,
    entry_created_at: str | None,
    team: str | None,
    key_fingerprint: str,
    now: float,
    ttl_s: float,
    channel: str = "page",
) -> Approval:
    """A fresh pending approval with a random id and a random page secret."""
    return Approval(
        id=APPROVAL_ID_PREFIX + secrets.token_urlsafe(18),
        secret=secrets.token_urlsafe(32),
        entry_id=entry_id,
        url=url,
        entry_created_at=entry_created_at,
        team=team,
        key_fingerprint=key_fingerprint,
        created_at=now,
        expires_at=now + ttl_s,
        channel=channel,
    )
