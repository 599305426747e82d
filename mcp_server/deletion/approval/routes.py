"""The approval page over HTTP: `GET /approve/{id}` shows it, `POST /approve/{id}` decides, and
on hosted servers `POST /approve/{id}/sign-in` signs the approver in first.

Thin glue: headers are checked by `security`, the decision is `ApprovalService.decide`, the
sign-in is `signin`, the HTML is `page`. Served by `dnc mcp` itself: next to /mcp in streamable
HTTP mode, on a loopback port of its own in stdio mode (where the link alone approves: only
this machine can open it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mcp_server.deletion.approval.model import APPROVAL_ID_PREFIX, Approval, profile_username
from mcp_server.deletion.approval.page import (
    approval_page,
    message_page,
    sign_in_page,
    status_page,
)
from mcp_server.deletion.approval.security import (
    MAX_FORM_BYTES,
    SECURITY_HEADERS,
    Refusal,
    check_get,
    check_post,
)
from mcp_server.deletion.approval.service import ApprovalService
from mcp_server.deletion.approval.signin import COOKIE_NAME, ApproverSession, SignIn

__all__ = ["APPROVAL_PATH", "SIGN_IN_PATH", "PageSecurity", "approval_routes"]

APPROVAL_PATH: Final = "/approve/{approval_id}"
SIGN_IN_PATH: Final = "/approve/{approval_id}/sign-in"
_GONE: Final = "There is no such approval request (or it is long gone)."
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSecurity:
    """Which Host and Origin values the page accepts (its own, and configured ones)."""

    allowed_hosts: Sequence[str]
    allowed_origins: Sequence[str]


def _html(body: str, status: int = 200) -> Response:
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _refused(refusal: Refusal) -> Response:
    return _html(message_page("Request refused", refusal.reason), refusal.status)


async def _form(request: Request) -> dict[str, list[str]] | Refusal:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return Refusal(413, "That form is too large.")
    return parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)


def approval_routes(service: ApprovalService, security: PageSecurity) -> list[Route]:
    def signed_in(request: Request, sign_in: SignIn) -> ApproverSession | None:
        approval_id = request.path_params["approval_id"]
        return sign_in.session_from(request.cookies.get(COOKIE_NAME), approval_id)

    async def find(approval_id: str) -> Approval | None:
        if not approval_id.startswith(APPROVAL_ID_PREFIX):
            return None
        return await service.current(approval_id)

    async def typed_back(approval_id: str, form: dict[str, list[str]]) -> Refusal | None:
        """Hosted pages: approving needs the profile's username typed back."""
        approval = await find(approval_id)
        username = profile_username(approval.url) if approval is not None else None
        typed = form.get("username", [""])[0].strip().casefold()
        if username is None or typed == username.casefold():
            return None
        return Refusal(
            400,
            "Type the profile's username exactly as the page shows it to approve;"
            " nothing was deleted and the request is still open.",
        )

    async def show(request: Request) -> Response:
        refused = check_get(request.headers, security.allowed_hosts)
        if refused is not None:
            return _refused(refused)
        approval = await find(request.path_params["approval_id"])
        if approval is None:
            return _refused(Refusal(404, _GONE))
        sign_in = service.sign_in
        if sign_in is not None and signed_in(request, sign_in) is None:
            if approval.status != "pending":
                return _html(message_page("Request closed", "This request is no longer open."))
            return _html(sign_in_page(approval, f"{request.url.path}/sign-in"))
        if approval.status != "pending":
            return _html(status_page(approval), 410 if approval.status == "expired" else 200)
        return _html(approval_page(approval, request.url.path, type_back=sign_in is not None))

    async def sign_in_post(request: Request) -> Response:
        sign_in = service.sign_in
        if sign_in is None:
            return _refused(Refusal(404, "This server needs no sign-in for approvals."))
        refused = check_post(
            request.headers,
            allowed_hosts=security.allowed_hosts,
            allowed_origins=security.allowed_origins,
        )
        if refused is not None:
            return _refused(refused)
        approval = await find(request.path_params["approval_id"])
        if approval is None:
            return _refused(Refusal(404, _GONE))
        client = request.client.host if request.client is not None else "unknown"
        if sign_in.blocked(approval.id, client):
            logger.warning("approval sign-in refused: too many failed attempts")
            return _refused(Refusal(429, "Too many failed sign-ins; wait a few minutes."))
        form = await _form(request)
        if isinstance(form, Refusal):
            return _refused(form)
        if approval.status != "pending":
            return _html(message_page("Request closed", "This request is no longer open."), 409)
        try:
            session = await sign_in.attempt(form.get("api_key", [""])[0], approval, client)
        except Exception:  # never a traceback to the human; the log says what broke
            logger.exception("approval sign-in failed")
            return _refused(Refusal(500, "Something went wrong; you are not signed in."))
        page_path = request.url.path.removesuffix("/sign-in")
        if session is None:
            logger.warning("approval sign-in refused for %s", approval.id)
            return _html(sign_in_page(approval, request.url.path, failed=True), 403)
        response = RedirectResponse(page_path, status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            COOKIE_NAME,
            sign_in.cookie_value(session),
            max_age=sign_in.seconds_left(session),
            path=page_path,
            secure=(service.base_url or "").startswith("https://"),
            httponly=True,
            samesite="strict",
        )
        return response

    async def decide(request: Request) -> Response:
        refused = check_post(
            request.headers,
            allowed_hosts=security.allowed_hosts,
            allowed_origins=security.allowed_origins,
        )
        if refused is not None:
            logger.warning("approval POST refused: %s", refused.reason)
            return _refused(refused)
        approver: str | None = None
        if service.sign_in is not None:
            session = signed_in(request, service.sign_in)
            if session is None:
                logger.warning("approval POST refused: not signed in")
                return _refused(Refusal(403, "Sign in as a member of the team first."))
            approver = session.approver
        form = await _form(request)
        if isinstance(form, Refusal):
            return _refused(form)
        decision = form.get("decision", [""])[0]
        secret = form.get("secret", [None])[0]
        if decision not in ("approve", "decline"):
            return _refused(Refusal(400, "Choose approve or decline."))
        if decision == "approve" and service.sign_in is not None:
            refused = await typed_back(request.path_params["approval_id"], form)
            if refused is not None:
                return _refused(refused)
        try:
            result = await service.decide(
                request.path_params["approval_id"],
                secret,
                "approve" if decision == "approve" else "decline",
                approver=approver,
            )
        except Exception:  # never a traceback to the human; the log says what broke
            logger.exception("approval decision failed")
            return _refused(Refusal(500, "Something went wrong; nothing was confirmed."))
        if isinstance(result, Refusal):
            logger.warning("approval POST refused: %s", result.reason)
            return _refused(result)
        approval = result.approval
        status = 200 if result.fresh else 410 if approval.status == "expired" else 409
        return _html(status_page(approval), status)

    return [
        Route(APPROVAL_PATH, show, methods=["GET"], name="approval_page"),
        Route(APPROVAL_PATH, decide, methods=["POST"], name="approval_decision"),
        Route(SIGN_IN_PATH, sign_in_post, methods=["POST"], name="approval_sign_in"),
    ]
