"""How `dnc_delete` gets a human's yes, and the one rule it keeps.

THE RULE: no value that a tool result gives the model can delete an entry when passed back in
a tool call. So the yes never travels through the model:

- `form`: form elicitation, when the client takes it. The client asks the human; only an
  accepted form with `confirm: true` deletes.
- `url`: URL-mode elicitation, when the client declares `elicitation.url` (and not form, or the
  server prefers URL mode). The client sends the human to the server's approval page; the
  deletion happens when the human approves there; the tool call waits and reports the outcome.
- `page`: neither. The tool result is a link to the approval page for the model to show the
  human; nothing is deleted until the human approves on the page.
- `token` (only with `--confirm-with-token`, and only without elicitation): the old echo
  token. Weaker: the model relays the token, so the model can forge it.

Both protocol eras: up to 2025-11-25 the questions are server-to-client requests
(`ctx.elicit`, `ctx.elicit_url`); from 2026-07-28 the tool answers `InputRequiredResult` and the
client retries with the answers. Its `request_state` is sealed by the SDK (bound to this tool
call's arguments and to the caller's key), so a client can neither forge it nor answer a
question that was not asked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Final, Literal

from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    ClientCapabilities,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
    InputRequiredResult,
)
from mcp_types.version import is_version_at_least
from pydantic import ValidationError

from mcp_server.approval import Approval, ApprovalService, ApprovalSubject
from mcp_server.audit import iso_utc
from mcp_server.confirm import confirmation_question
from mcp_server.models import DeleteConfirmation, DeleteResult
from mcp_server.tools import (
    Answer,
    DeleteTarget,
    ToolDeps,
    delete_confirmed,
    delete_not_confirmed,
    delete_with_token,
    find_delete_target,
    interpret_answer,
    preview_delete,
)

__all__ = [
    "FORM_KEY",
    "URL_KEY",
    "Channel",
    "RoundState",
    "choose_channel",
    "obtain_consent_and_delete",
    "url_message",
]

Channel = Literal["form", "url", "page", "token"]
FORM_KEY: Final = "dnc_delete_confirm"
URL_KEY: Final = "dnc_delete_approve"
_MODERN: Final = "2026-07-28"
_URL_ANSWERS: Final[dict[str, Answer]] = {
    "accept": "yes",
    "decline": "declined",
    "cancel": "cancelled",
}
logger = logging.getLogger(__name__)


def choose_channel(
    capabilities: ClientCapabilities | None,
    *,
    can_ask: bool,
    prefer_url: bool = False,
    token_mode: bool = False,
) -> Channel:
    """Which way to ask the human; `can_ask` is False when the client cannot be asked at all
    (a legacy connection without a back-channel, e.g. stateless HTTP)."""
    elicitation = capabilities.elicitation if capabilities is not None else None
    if can_ask and elicitation is not None:
        # A bare `elicitation: {}` (before modes existed) means form.
        form = elicitation.form is not None or elicitation.url is None
        url = elicitation.url is not None
        if url and (prefer_url or not form):
            return "url"
        if form:
            return "form"
    return "token" if token_mode else "page"


def url_message(target: DeleteTarget) -> str:
    shown = target.url or target.entry_id
    return (
        f"An AI agent asks to REMOVE {shown} from your Do-Not-Contact list. Open the approval"
        " page to see the entry and approve or decline there; nothing is deleted unless you"
        " approve on that page."
    )


@dataclass(frozen=True)
class RoundState:
    """What round one asked, carried (sealed by the SDK) to the client's retry."""

    ask: Literal["form", "url"]
    entry_id: str
    approval_id: str | None = None

    def encode(self) -> str:
        return json.dumps(
            {"v": 1, "ask": self.ask, "entry": self.entry_id, "approval": self.approval_id}
        )

    @classmethod
    def decode(cls, text: str | None) -> RoundState | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            if data.get("v") != 1 or data.get("ask") not in ("form", "url"):
                return None
            return cls(ask=data["ask"], entry_id=str(data["entry"]), approval_id=data["approval"])
        except (ValueError, KeyError, AttributeError):
            return None


def _is_modern(ctx: Context[Any, Any]) -> bool:
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, _MODERN)


def _subject(deps: ToolDeps, target: DeleteTarget) -> ApprovalSubject:
    fingerprint = deps.tenancy.current_fingerprint()
    return ApprovalSubject(
        entry_id=target.entry_id,
        url=target.url,
        entry_created_at=target.created_at,
        team=target.team or deps.tenancy.team(fingerprint),
        key_fingerprint=fingerprint,
    )


async def obtain_consent_and_delete(
    deps: ToolDeps,
    ctx: Context[Any, Any],
    entry_id: str | None,
    url: str | None,
    confirmation_token: str | None = None,
) -> DeleteResult | InputRequiredResult:
    """The whole of `dnc_delete`: find the entry, ask, wait, delete or not."""
    modern = _is_modern(ctx)
    resumed = RoundState.decode(ctx.request_state) if modern else None
    if resumed is not None and resumed.ask == "url":
        # The page may have deleted the entry already: the approval record is the truth now.
        return await _resume_url(deps, ctx, resumed)
    target = await find_delete_target(deps, entry_id, url)
    if resumed is not None and resumed.entry_id == target.entry_id:
        return await _resume_form(deps, ctx, target)
    can_ask = modern or ctx.session.can_send_request
    channel = choose_channel(
        ctx.client_capabilities,
        can_ask=can_ask,
        prefer_url=deps.policy.prefer_url_elicitation,
        token_mode=deps.policy.confirm_with_token,
    )
    if channel == "form":
        question = confirmation_question(target.entry_id, target.url)
        if modern:
            return InputRequiredResult(
                input_requests={FORM_KEY: _form_request(question)},
                request_state=RoundState("form", target.entry_id).encode(),
            )
        try:
            outcome = await ctx.elicit(question, DeleteConfirmation)
        except ValueError:
            outcome = None  # an accepted form that is not our schema is no yes
        return await _after_form(deps, target, interpret_answer(outcome))
    if channel == "token":
        if confirmation_token is None:
            return preview_delete(deps, target)
        return await delete_with_token(deps, target, confirmation_token)
    approvals = _approvals(deps)
    channel_name = "URL elicitation" if channel == "url" else "approval page link"
    approval = await approvals.request(
        _subject(deps, target), key=deps.tenancy.key_to_hold(), channel=channel_name
    )
    if channel == "page":
        return _approval_required(approvals, approval)
    link = approvals.link(approval)
    if modern:
        return InputRequiredResult(
            input_requests={URL_KEY: _url_request(url_message(target), link, approval.id)},
            request_state=RoundState("url", target.entry_id, approval.id).encode(),
        )
    answer = await ctx.elicit_url(url_message(target), link, approval.id)
    result = await _after_url(deps, approvals, approval, interpret_url(answer))
    try:
        await ctx.session.send_elicit_complete(approval.id)
    except Exception:  # the client may be gone; the outcome stands either way
        logger.info("could not send elicitation/complete for %s", approval.id)
    return result


def _approvals(deps: ToolDeps) -> ApprovalService:
    if deps.approvals is None:
        raise ToolError("Deleting needs the approval page, which this server does not serve.")
    return deps.approvals


async def _resume_form(
    deps: ToolDeps, ctx: Context[Any, Any], target: DeleteTarget
) -> DeleteResult | InputRequiredResult:
    """Round two (2026-07-28) of a form: the client's answer to the question round one asked."""
    answer = (ctx.input_responses or {}).get(FORM_KEY)
    if not isinstance(answer, ElicitResult):
        question = confirmation_question(target.entry_id, target.url)
        return InputRequiredResult(
            input_requests={FORM_KEY: _form_request(question)},
            request_state=RoundState("form", target.entry_id).encode(),
        )
    return await _after_form(deps, target, _form_answer(answer))


async def _resume_url(
    deps: ToolDeps, ctx: Context[Any, Any], state: RoundState
) -> DeleteResult | InputRequiredResult:
    """Round two (2026-07-28) of a URL elicitation: did the human open the page? Then wait."""
    responses = ctx.input_responses or {}
    approvals = _approvals(deps)
    approval = await approvals.current(state.approval_id or "")
    fingerprint = deps.tenancy.current_fingerprint()
    if approval is None or approval.key_fingerprint != fingerprint:
        raise ToolError("That approval request is unknown here; call dnc_delete again.")
    answer = responses.get(URL_KEY)
    said: Answer = "not_asked"
    if isinstance(answer, ElicitResult):
        said = _URL_ANSWERS[answer.action]
    if said == "not_asked":
        target = DeleteTarget(entry_id=approval.entry_id, url=approval.url)
        return InputRequiredResult(
            input_requests={
                URL_KEY: _url_request(url_message(target), approvals.link(approval), approval.id)
            },
            request_state=state.encode(),
        )
    return await _after_url(deps, approvals, approval, said)


def _form_answer(answer: ElicitResult) -> Answer:
    if answer.action != "accept":
        return "declined" if answer.action == "decline" else "cancelled"
    try:
        return "yes" if DeleteConfirmation.model_validate(answer.content or {}).confirm else "no"
    except ValidationError:
        return "no"


def interpret_url(answer: object) -> Answer:
    """The client's reply to a URL elicitation: did the human agree to open the page?"""
    if isinstance(answer, DeclinedElicitation):
        return "declined"
    if isinstance(answer, CancelledElicitation):
        return "cancelled"
    if isinstance(answer, AcceptedElicitation) or getattr(answer, "action", None) == "accept":
        return "yes"
    return "not_asked"


async def _after_form(deps: ToolDeps, target: DeleteTarget, said: Answer) -> DeleteResult:
    if said == "yes":
        return await delete_confirmed(deps, target, confirmed_by="elicitation")
    return delete_not_confirmed(deps, target, "declined" if said == "not_asked" else said)


async def _after_url(
    deps: ToolDeps, approvals: ApprovalService, approval: Approval, said: Answer
) -> DeleteResult:
    """The human agreed to open the page (or not); wait for the decision made there."""
    if said != "yes":
        why = "the human would not open the approval page"
        final = await approvals.cancel(approval.id, why) or approval
    else:
        try:
            final = await approvals.wait(approval.id, deps.api)
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


def _approval_required(approvals: ApprovalService, approval: Approval) -> DeleteResult:
    link = approvals.link(approval)
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


def _form_request(question: str) -> ElicitRequest:
    schema = render_elicitation_schema(DeleteConfirmation)
    return ElicitRequest(params=ElicitRequestFormParams(message=question, requested_schema=schema))


def _url_request(message: str, link: str, elicitation_id: str) -> ElicitRequest:
    return ElicitRequest(
        params=ElicitRequestURLParams(message=message, url=link, elicitation_id=elicitation_id)
    )
