"""Human approval of a deletion that the model cannot forge: the page, its store, its checks.

Modules, one job each: `model` (an approval and its states), `store` and `redis_store` (where
approvals live; atomic transitions), `vault` (team keys in memory while an approval is pending),
`security` (Host/Origin/secret checks), `page` (the HTML), `routes` (GET/POST over HTTP),
`service` (issue, decide, carry out exactly once).
"""

from mcp_server.approval.model import Approval, Decision, Status, new_approval
from mcp_server.approval.routes import APPROVAL_PATH, PageSecurity, approval_routes
from mcp_server.approval.service import (
    APPROVED_ON_PAGE,
    DEFAULT_APPROVAL_TTL_S,
    ApprovalService,
    ApprovalSubject,
    Decided,
)
from mcp_server.approval.store import ApprovalStore, MemoryApprovalStore
from mcp_server.approval.vault import KeyVault

__all__ = [
    "APPROVAL_PATH",
    "APPROVED_ON_PAGE",
    "DEFAULT_APPROVAL_TTL_S",
    "Approval",
    "ApprovalService",
    "ApprovalStore",
    "ApprovalSubject",
    "Decided",
    "Decision",
    "KeyVault",
    "MemoryApprovalStore",
    "PageSecurity",
    "Status",
    "approval_routes",
    "new_approval",
]
