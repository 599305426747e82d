"""How to ask the human, as pure decisions: the channel, the questions, the round state, and
what an answer means. No I/O here; `flow` does the asking.

Both protocol eras: up to 2025-11-25 the questions are server-to-client requests
(`ctx.elicit`, `ctx.elicit_url`); from 2026-07-28 the tool answers `InputRequiredResult` and the
client retries with the answers. Its `request_state` is sealed by the SDK (bound to this tool
call's arguments and to the caller's key), so a client can neither forge it nor answer a
question that was not asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, Literal

from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import AcceptedElicitation, CancelledElicitation, DeclinedElicitation
from mcp.types import (
    ClientCapabilities,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
)
from pydantic import ValidationError

from mcp_server.deletion.execute import Channel
from mcp_server.deletion.target import DeleteTarget
from mcp_server.models import DeleteConfirmation

__all__ = [
    "FORM_KEY",
    "URL_ANSWERS",
    "URL_KEY",
    "Answer",
    "RoundState",
    "choose_channel",
    "form_answer",
    "form_request",
    "interpret_answer",
    "interpret_url",
    "url_message",
    "url_request",
]

Answer = Literal["yes", "no", "declined", "cancelled", "not_asked"]
FORM_KEY: Final = "dnc_delete_confirm"
URL_KEY: Final = "dnc_delete_approve"
URL_ANSWERS: Final[dict[str, Answer]] = {
    "accept": "yes",
    "decline": "declined",
    "cancel": "cancelled",
}


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


def interpret_answer(answer: object) -> Answer:
    """What the human said, from a legacy form elicitation (a non-form value means not asked)."""
    if isinstance(answer, DeclinedElicitation):
        return "declined"
    if isinstance(answer, CancelledElicitation):
        return "cancelled"
    if isinstance(answer, AcceptedElicitation) and isinstance(answer.data, DeleteConfirmation):
        return "yes" if answer.data.confirm else "no"
    return "not_asked"


def form_answer(answer: ElicitResult) -> Answer:
    """What the human said, from a 2026-07-28 form answer."""
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


def form_request(question: str) -> ElicitRequest:
    schema = render_elicitation_schema(DeleteConfirmation)
    return ElicitRequest(params=ElicitRequestFormParams(message=question, requested_schema=schema))


def url_request(message: str, link: str, elicitation_id: str) -> ElicitRequest:
    return ElicitRequest(
        params=ElicitRequestURLParams(message=message, url=link, elicitation_id=elicitation_id)
    )
