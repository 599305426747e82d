"""The whole of `dnc_delete`: find the target, ask a human, delete (or not), audit.

THE RULE: no value that a tool result gives the model can delete an entry when passed back in
a tool call. So the yes never travels through the model:

- `form`: form elicitation, when the client takes it. The client asks the human; only an
  accepted form with `confirm: true` deletes.
- `url`: URL-mode elicitation, when the client declares `elicitation.url` (and not form, or the
  server prefers URL mode). The client sends the human to the server's approval page; the
  deletion happens when the human approves there; the tool call waits and reports the outcome.
- `page`: neither. The tool result is a link to the approval page for the model to show the
  human; nothing is deleted until the human approves on the page.
- `token` (only with `--confirm-with-token`, and only without elicitation): the echo token.
  Weaker: the model relays the token, so the model can forge it.

Every yes ends in `execute.delete_and_audit`, the one place that deletes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Final

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least

from dnc_client import Clock, NotFoundError
from mcp_server.api import DncApi
from mcp_server.audit import AuditLog, iso_utc
from mcp_server.deletion.approval import Approval, ApprovalService, ApprovalSubject
from mcp_server.deletion.ask import (
    FORM_KEY,
    URL_ANSWERS,
    URL_KEY,
    Answer,
    RoundState,
    choose_channel,
    form_answer,
    form_request,
    interpret_answer,
    interpret_url,
    url_message,
    url_request,
)
from mcp_server.deletion.execute import DELETE_TOOL, Channel, Consent, delete_and_audit
from mcp_server.deletion.target import DeleteTarget, find_delete_target
from mcp_server.deletion.tokens import ConfirmationTokens, confirmation_question
from mcp_server.errors import TokenRejected, agent_message
from mcp_server.models import DeleteConfirmation, DeleteResult
from mcp_server.tenancy import SingleTenant, Tenancy

__all__ = ["DeleteFlow", "DeletePolicy", "obtain_consent_and_delete", "outcome_result"]

_MODERN: Final = "2026-07-28"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeletePolicy:
    """How `dnc_delete` asks for the human's yes."""

    confirm_with_token: bool = False  # the weaker echo-token flow for clients without elicitation
    prefer_url_elicitation: bool = False  # URL mode even when the client also takes forms


@dataclass(frozen=True)
class DeleteFlow:
    """What the delete flow needs; `api` acts with the key of the request being served."""

    api: DncApi
    audit: AuditLog
    tokens: ConfirmationTokens
    clock: Clock
    approvals: ApprovalService | None = None
    tenancy: Tenancy = field(default_factory=SingleTenant)
    policy: DeletePolicy = field(default_factory=DeletePolicy)

    def consent(self, channel: Channel, confirmed_by: str) -> Consent:
        """A yes given inside this request's own MCP session: the approver is its credential."""
        return Consent(channel, confirmed_by, self.clock(), self.tenancy.current_fingerprint())


async def obtain_consent_and_delete(
    flow: DeleteFlow,
    ctx: Context[Any, Any],
    entry_id: str | None,
    url: str | None,
    confirmation_token: str | None = None,
) -> DeleteResult | InputRequiredResult:
    """Find the entry, ask, wait, delete or not."""
    version = ctx.protocol_version
    modern = version is not None and is_version_at_least(version, _MODERN)
    resumed = RoundState.decode(ctx.request_state) if modern else None
    if resumed is not None and resumed.ask == "url":
        # The page may have deleted the entry already: the approval record is the truth now.
        return await _resume_url(flow, ctx, resumed)
    target = await find_delete_target(flow.api, entry_id, url)
    if resumed is not None and resumed.entry_id == target.entry_id:
        return await _resume_form(flow, ctx, target)
    channel = choose_channel(
        ctx.client_capabilities,
        can_ask=modern or ctx.session.can_send_request,
        prefer_url=flow.policy.prefer_url_elicitation,
        token_mode=flow.policy.confirm_with_token,
    )
    if channel == "form":
        question = confirmation_question(target.entry_id, target.url)
        if modern:
            return InputRequiredResult(
                input_requests={FORM_KEY: form_request(question)},
                request_state=RoundState("form", target.entry_id).encode(),
            )
        try:
            outcome = await ctx.elicit(question, DeleteConfirmation)
        except ValueError:
            outcome = None  # an accepted form that is not our schema is no yes
        return await _after_form(flow, target, interpret_answer(outcome))
    if channel == "token":
        if confirmation_token is None:
            return _preview(flow, target)
        return await _with_token(flow, target, confirmation_token)
    approvals = _approvals(flow)
    approval = await approvals.request(
        _subject(flow, target), key=flow.tenancy.key_to_hold(), channel=channel
    )
    link = await approvals.link(approval)
    if channel == "page":
        return _approval_required(approval, link)
    if modern:
        return InputRequiredResult(
            input_requests={URL_KEY: url_request(url_message(target), link, approval.id)},
            request_state=RoundState("url", target.entry_id, approval.id).encode(),
        )
    answer = await ctx.elicit_url(url_message(target), link, approval.id)
    result = await _after_url(flow, approvals, approval, interpret_url(answer))
    try:
        await ctx.session.send_elicit_complete(approval.id)
    except Exception:  # the client may be gone; the outcome stands either way
        logger.info("could not send elicitation/complete for %s", approval.id)
    return result


def _approvals(flow: DeleteFlow) -> ApprovalService:
    if flow.approvals is None:
        raise ToolError("Deleting needs the approval page, which this server does not serve.")
    return flow.approvals


def _subject(flow: DeleteFlow, target: DeleteTarget) -> ApprovalSubject:
    fingerprint = flow.tenancy.current_fingerprint()
    return ApprovalSubject(
        entry_id=target.entry_id,
        url=target.url,
        entry_created_at=target.created_at,
        team=target.team or flow.tenancy.team(fingerprint),
        key_fingerprint=fingerprint,
    )


# ---- form --------------------------------------------------------------------------------


async def _resume_form(
    flow: DeleteFlow, ctx: Context[Any, Any], target: DeleteTarget
) -> DeleteResult | InputRequiredResult:
    """Round two (2026-07-28) of a form: the client's answer to the question round one asked."""
    answer = (ctx.input_responses or {}).get(FORM_KEY)
    if not isinstance(answer, ElicitResult):
        question = confirmation_question(target.entry_id, target.url)
        return InputRequiredResult(
            input_requests={FORM_KEY: form_request(question)},
            request_state=RoundState("form", target.entry_id).encode(),
        )
    return await _after_form(flow, target, form_answer(answer))


async def _after_form(flow: DeleteFlow, target: DeleteTarget, said: Answer) -> DeleteResult:
    if said == "yes":
        return await _delete(flow, target, flow.consent("form", "elicitation"))
    return _not_confirmed(flow, target, "declined" if said == "not_asked" else said)


# ---- echo token (weaker) -------------------------------------------------------------------


def _preview(flow: DeleteFlow, target: DeleteTarget) -> DeleteResult:
    """First call without elicitation: delete nothing, hand out a token for a second call."""
    issued = flow.tokens.issue(target.entry_id)
    expires_at = iso_utc(issued.expires_at)
    flow.audit.record(
        tool=DELETE_TOOL, url=target.url, entry_id=target.entry_id, outcome="confirmation_required"
    )
    shown = target.url or "(URL not found in the list scan)"
    return DeleteResult(
        status="confirmation_required",
        entry_id=target.entry_id,
        url=target.url,
        confirmation_token=issued.token,
        expires_at=expires_at,
        message=(
            f"NOTHING WAS DELETED. Show the human this and ask for an explicit yes: remove"
            f" {shown} (entry {target.entry_id}) from the Do-Not-Contact list permanently, so"
            " they can be contacted again. Only if the human says yes, call dnc_delete again"
            " with the same entry and this confirmation_token (single use, valid until"
            f" {expires_at}). If they say no, do nothing."
        ),
    )


async def _with_token(flow: DeleteFlow, target: DeleteTarget, token: str) -> DeleteResult:
    """Second call without elicitation: the token must be valid for this very entry."""
    try:
        flow.tokens.redeem(token, target.entry_id)
    except TokenRejected as rejected:
        flow.audit.record(
            tool=DELETE_TOOL,
            url=target.url,
            entry_id=target.entry_id,
            outcome="refused: invalid confirmation token",
        )
        raise ToolError(str(rejected)) from None
    return await _delete(flow, target, flow.consent("token", "confirmation_token"))


# ---- in this tool call --------------------------------------------------------------------


async def _delete(flow: DeleteFlow, target: DeleteTarget, consent: Consent) -> DeleteResult:
    """Delete after a yes given in this tool call (form or token)."""
    done = await delete_and_audit(flow.api, flow.audit, target, consent)
    if isinstance(done.error, NotFoundError):
        raise ToolError(
            f"Entry {target.entry_id} is no longer on the list (404); nothing was deleted"
            " now. Use dnc_check with the URL to see the current state."
        )
    if done.error is not None:
        raise ToolError(agent_message(done.error))
    return DeleteResult(
        status="deleted",
        entry_id=target.entry_id,
        url=target.url,
        message=f"{done.message}. The human confirmed; this person may be contacted again.",
    )


def _not_confirmed(flow: DeleteFlow, target: DeleteTarget, answer: Answer) -> DeleteResult:
    """The human said no, declined or cancelled: nothing is deleted."""
    flow.audit.record(
        tool=DELETE_TOOL,
        url=target.url,
        entry_id=target.entry_id,
        outcome=f"not_deleted: human answer {answer}",
    )
    return DeleteResult(
        status="not_deleted",
        entry_id=target.entry_id,
        url=target.url,
        message=(
            f"Nothing was deleted: the human did not approve (answer: {answer}). The person"
            " stays on the Do-Not-Contact list. Do not retry unless the human asks you to."
        ),
    )


# ---- on the approval page ------------------------------------------------------------------


async def _resume_url(
    flow: DeleteFlow, ctx: Context[Any, Any], state: RoundState
) -> DeleteResult | InputRequiredResult:
    """Round two (2026-07-28) of a URL elicitation: did the human open the page? Then wait."""
    approvals = _approvals(flow)
    approval = await approvals.current(state.approval_id or "")
    if approval is None or approval.key_fingerprint != flow.tenancy.current_fingerprint():
        raise ToolError("That approval request is unknown here; call dnc_delete again.")
    answer = (ctx.input_responses or {}).get(URL_KEY)
    said: Answer = URL_ANSWERS[answer.action] if isinstance(answer, ElicitResult) else "not_asked"
    if said == "not_asked":
        target = DeleteTarget(entry_id=approval.entry_id, url=approval.url)
        link = await approvals.link(approval)
        return InputRequiredResult(
            input_requests={URL_KEY: url_request(url_message(target), link, approval.id)},
            request_state=state.encode(),
        )
    return await _after_url(flow, approvals, approval, said)


async def _after_url(
    flow: DeleteFlow, approvals: ApprovalService, approval: Approval, said: Answer
) -> DeleteResult:
    """The human agreed to open the page (or not); wait for the decision made there."""
    if said != "yes":
        why = "the human would not open the approval page"
        final = await approvals.cancel(approval.id, why) or approval
    else:
        try:
            final = await approvals.wait(approval.id, flow.api)
        except LookupError:
            raise ToolError(
                "The approval request is gone. Use dnc_check with the URL to see whether the"
                " person is still on the list."
            ) from None
    return outcome_result(final)


def outcome_result(approval: Approval) -> DeleteResult:
    """What the tool reports once the human's decision on the page is final."""
    base = {"entry_id": approval.entry_id, "url": approval.url}
    if approval.status == "deleted":
        decided = iso_utc(approval.decided_at) if approval.decided_at is not None else "now"
        return DeleteResult(
            status="deleted",
            message=(
                f"Deleted: the human approved on the approval page at {decided}. This person"
                " may be contacted again."
            ),
            **base,
        )
    if approval.status == "failed":
        raise ToolError(f"The human approved, but the deletion failed: {approval.detail}")
    if approval.status in ("approved", "deleting"):
        raise ToolError(
            "The human approved, but whether the deletion completed is not known. Use dnc_check"
            " with the URL to see whether the person is still on the list."
        )
    reason = {
        "declined": "the human declined",
        "expired": "the approval request expired without a decision",
    }.get(approval.status, f"the approval ended as {approval.status}")
    return DeleteResult(
        status="not_deleted",
        message=(
            f"Nothing was deleted: {reason}. The person stays on the Do-Not-Contact list. Do"
            " not retry unless the human asks you to."
        ),
        **base,
    )


def _approval_required(approval: Approval, link: str) -> DeleteResult:
    expires_at = iso_utc(approval.expires_at)
    shown = approval.url or approval.entry_id
    return DeleteResult(
        status="approval_required",
        entry_id=approval.entry_id,
        url=approval.url,
        approval_url=link,
        expires_at=expires_at,
        message=(
            f"NOTHING WAS DELETED. Only a human can approve removing {shown} from the"
            f" Do-Not-Contact list: show them this link and let them decide there: {link}"
            f" (valid until {expires_at}). Do not open it yourself. Nothing you pass to"
            " dnc_delete can approve it. Afterwards, dnc_check shows whether they are still"
            " on the list."
        ),
    )
