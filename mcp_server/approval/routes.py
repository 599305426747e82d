"""The approval page over HTTP: `GET /approve/{id}` shows it, `POST /approve/{id}` decides.

Thin glue: headers are checked by `security`, the decision is `ApprovalService.decide`, the
HTML is `page`. Served by `dnc mcp` itself: next to /mcp in streamable HTTP mode, on a loopback
port of its own in stdio mode.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from mcp_server.approval.model import APPROVAL_ID_PREFIX
from mcp_server.approval.page import approval_page, message_page, status_page
from mcp_server.approval.security import (
    MAX_FORM_BYTES,
    SECURITY_HEADERS,
    Refusal,
    check_get,
    check_post,
)
from mcp_server.approval.service import ApprovalService

__all__ = ["APPROVAL_PATH", "PageSecurity", "approval_routes"]

APPROVAL_PATH: Final = "/approve/{approval_id}"
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


def approval_routes(service: ApprovalService, security: PageSecurity) -> list[Route]:
    async def show(request: Request) -> Response:
        refused = check_get(request.headers, security.allowed_hosts)
        if refused is not None:
            return _refused(refused)
        approval_id = request.path_params["approval_id"]
        approval = (
            await service.current(approval_id)
            if approval_id.startswith(APPROVAL_ID_PREFIX)
            else None
        )
        if approval is None:
            return _refused(Refusal(404, "There is no such approval request (or it is long gone)."))
        if approval.status != "pending":
            return _html(status_page(approval), 410 if approval.status == "expired" else 200)
        return _html(approval_page(approval, request.url.path))

    async def decide(request: Request) -> Response:
        refused = check_post(
            request.headers,
            allowed_hosts=security.allowed_hosts,
            allowed_origins=security.allowed_origins,
        )
        if refused is not None:
            logger.warning("approval POST refused: %s", refused.reason)
            return _refused(refused)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return _refused(Refusal(413, "That form is too large."))
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)
        decision = form.get("decision", [""])[0]
        secret = form.get("secret", [None])[0]
        if decision not in ("approve", "decline"):
            return _refused(Refusal(400, "Choose approve or decline."))
        try:
            result = await service.decide(
                request.path_params["approval_id"],
                secret,
                "approve" if decision == "approve" else "decline",
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
    ]
