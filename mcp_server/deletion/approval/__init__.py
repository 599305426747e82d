"""The approval page channel: a deletion the model cannot forge, decided by a human on a page.

Modules, one job each: `model` (an approval and its states), `store` and `redis_store` (where
approvals live; atomic transitions), `vault` (team keys in memory while an approval is pending),
`security` (Host/Origin/secret checks), `signin` (hosted servers: the approver proves team
membership), `page` (the HTML), `routes` (GET/POST over HTTP), `service` (issue, decide, carry
out exactly once, through `mcp_server.deletion.execute`).
"""

from mcp_server.deletion.approval.model import Approval, Decision, Status, new_approval
from mcp_server.deletion.approval.routes import (
    APPROVAL_PATH,
    SIGN_IN_PATH,
    PageSecurity,
    approval_routes,
)
from mcp_server.deletion.approval.service import (
    APPROVED_ON_PAGE,
    DEFAULT_APPROVAL_TTL_S,
    ApiOpener,
    ApprovalService,
    ApprovalSubject,
    Decided,
)
from mcp_server.deletion.approval.signin import COOKIE_NAME, MemberCheck, SignIn
from mcp_server.deletion.approval.store import ApprovalStore, MemoryApprovalStore
from mcp_server.deletion.approval.vault import KeyVault

__all__ = [
    "APPROVAL_PATH",
    "APPROVED_ON_PAGE",
    "COOKIE_NAME",
    "DEFAULT_APPROVAL_TTL_S",
    "SIGN_IN_PATH",
    "ApiOpener",
    "Approval",
    "ApprovalService",
    "ApprovalStore",
    "ApprovalSubject",
    "Decided",
    "Decision",
    "KeyVault",
    "MemberCheck",
    "MemoryApprovalStore",
    "PageSecurity",
    "SignIn",
    "Status",
    "approval_routes",
    "new_approval",
]
