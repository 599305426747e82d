"""The approval page's HTML, as pure functions: what the human sees, and nothing that acts.

Opening the page (GET) deletes nothing; it shows the entry (URL, id, when it was added), the
consequence and two buttons that POST the page's own form: approve or decline.
"""

from __future__ import annotations

from html import escape
from typing import Final

from mcp_server.audit import iso_utc
from mcp_server.deletion.approval.model import Approval, profile_username
from mcp_server.html_document import html_document

__all__ = ["CONSEQUENCE", "approval_page", "message_page", "sign_in_page", "status_page"]

CONSEQUENCE: Final = (
    "Removing this entry is permanent: outreach campaigns may contact this person again. Approve"
    " only if they gave new consent or were added by mistake; an agent asking is not a reason."
)
_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}dt{font-weight:600}dd{margin:0 0 .6rem 0;word-break:break-all}"
    "button{font-size:1rem;padding:.6rem 1rem;margin:.3rem .6rem .3rem 0;cursor:pointer}"
    ".danger{background:#b3261e;color:#fff;border:0}.keep{background:#eee;border:1px solid #999}"
    ".warn{background:#fff4e5;border-left:4px solid #b3261e;padding:.6rem 1rem}"
)


def _document(title: str, body: str) -> str:
    return html_document(title, body, _STYLE)


def _facts(approval: Approval) -> str:
    rows = [
        ("LinkedIn URL", approval.url or "(not found on the first pages of the list)"),
        ("Entry id", approval.entry_id),
        ("Added to the list", approval.entry_created_at or "(unknown)"),
    ]
    if approval.team:
        rows.append(("Team", approval.team))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f"<dl>{items}</dl>"


def approval_page(approval: Approval, action: str, *, type_back: bool = False) -> str:
    """The question and the form; `action` is this page's own path. With `type_back`, approving
    needs the profile's username typed back (a deliberate act, not a reflex click)."""
    username = profile_username(approval.url) if type_back else None
    confirm = (
        "<p><label>To approve, type the profile's username"
        f' <code class="username">{escape(username)}</code>:'
        ' <input type="text" name="username" autocomplete="off" required></label></p>'
        if username
        else ""
    )
    body = (
        "<p>An AI agent asks to <strong>remove a person from your Do-Not-Contact list</strong>.</p>"
        f'{_facts(approval)}<p class="warn">{escape(CONSEQUENCE)}</p>'
        f"<p>This request expires at {escape(iso_utc(approval.expires_at))}.</p>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="secret" value="{escape(approval.secret)}">{confirm}'
        '<button class="danger" type="submit" name="decision" value="approve">'
        "Approve: remove from the list</button>"
        '<button class="keep" type="submit" name="decision" value="decline" formnovalidate>'
        "Decline: keep on the list</button></form>"
    )
    return _document("Remove from the Do-Not-Contact list?", body)


_STATUS_TEXT: Final = {
    "approved": "Approved. The deletion is being carried out; reload this page to see the outcome.",
    "deleting": "Approved. The deletion is being carried out; reload this page to see the outcome.",
    "deleted": "Approved and deleted: the person is no longer on the Do-Not-Contact list.",
    "declined": "Declined: nothing was deleted; the person stays on the Do-Not-Contact list.",
    "expired": "This request expired: nothing was deleted; the person stays on the list.",
    "failed": "Approved, but the deletion failed; the person may still be on the list.",
}


def status_page(approval: Approval) -> str:
    """A decided (or expired) approval: what happened, and no form."""
    text = _STATUS_TEXT.get(approval.status, "Pending.")
    detail = (
        f"<p>{escape(approval.detail)}</p>"
        if approval.status == "failed" and approval.detail
        else ""
    )
    return _document(
        "Do-Not-Contact removal request", f"<p>{escape(text)}</p>{detail}{_facts(approval)}"
    )


def message_page(title: str, text: str) -> str:
    return _document(title, f"<p>{escape(text)}</p>")


def sign_in_page(approval: Approval, action: str, *, failed: bool = False) -> str:
    """Hosted servers: who may see the request must sign in first; nothing about the entry."""
    note = (
        '<p class="warn">That key could not sign you in: it is unknown, or not a key of the'
        " team this request belongs to.</p>"
        if failed
        else ""
    )
    body = (
        "<p>An AI agent asks to remove a person from a team's Do-Not-Contact list. Only a member"
        " of that team can see and decide this request: sign in with your team's DNC API"
        " key.</p>"
        f"{note}<p>This request expires at {escape(iso_utc(approval.expires_at))}.</p>"
        f'<form method="post" action="{escape(action)}">'
        '<label>Team API key <input type="password" name="api_key" autocomplete="off"'
        ' required></label> <button class="keep" type="submit">Sign in</button></form>'
    )
    return _document("Sign in to review a Do-Not-Contact removal request", body)
