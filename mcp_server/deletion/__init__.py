"""One delete flow: find the target, ask a human, delete, audit.

Modules, one job each: `target` (which entry a call means), `execute` (the one function that
deletes and writes the audit line), `tokens` (the form question and the weaker echo tokens),
`ask` (which channel, the questions, what an answer means), `approval` (the approval page:
its store, checks, sign-in and routes), `flow` (the whole of `dnc_delete`).
"""

# Order matters: `approval` imports `execute` and `target`, and `flow` imports `approval`.
from mcp_server.deletion.approval import (
    DEFAULT_APPROVAL_TTL_S,
    ApprovalService,
    SignIn,
)
from mcp_server.deletion.ask import RoundState, choose_channel, interpret_url
from mcp_server.deletion.execute import Channel, Consent, Deletion, delete_and_audit
from mcp_server.deletion.flow import (
    DeleteFlow,
    DeletePolicy,
    obtain_consent_and_delete,
    outcome_result,
)
from mcp_server.deletion.target import DeleteTarget, find_delete_target, validate_delete_args
from mcp_server.deletion.tokens import (
    DEFAULT_TOKEN_TTL_S,
    TOKEN_PREFIX,
    ConfirmationTokens,
    confirmation_question,
)

__all__ = [
    "DEFAULT_APPROVAL_TTL_S",
    "DEFAULT_TOKEN_TTL_S",
    "TOKEN_PREFIX",
    "ApprovalService",
    "Channel",
    "ConfirmationTokens",
    "Consent",
    "DeleteFlow",
    "DeletePolicy",
    "DeleteTarget",
    "Deletion",
    "RoundState",
    "SignIn",
    "choose_channel",
    "confirmation_question",
    "delete_and_audit",
    "find_delete_target",
    "interpret_url",
    "obtain_consent_and_delete",
    "outcome_result",
    "validate_delete_args",
]
