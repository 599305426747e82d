"""The delete flow's decisions: the target, the channel, the round state, what an answer means,
and what the tool reports."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import AcceptedElicitation, CancelledElicitation, DeclinedElicitation
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    ClientCapabilities,
    ElicitationCapability,
    FormElicitationCapability,
    UrlElicitationCapability,
)

import mcp_server
from mcp_server.deletion import (
    Channel,
    DeleteTarget,
    RoundState,
    choose_channel,
    find_delete_target,
    interpret_url,
    outcome_result,
    validate_delete_args,
)
from mcp_server.deletion.approval import new_approval
from mcp_server.deletion.ask import interpret_answer
from mcp_server.models import DeleteConfirmation
from mcp_server.testing import StackFactory

FORM = ElicitationCapability(form=FormElicitationCapability())
URL = ElicitationCapability(url=UrlElicitationCapability())
BOTH = ElicitationCapability(form=FormElicitationCapability(), url=UrlElicitationCapability())
BARE = ElicitationCapability()  # before modes existed: form


@pytest.mark.parametrize(
    ("elicitation", "can_ask", "prefer_url", "token_mode", "channel"),
    [
        (None, True, False, False, "page"),
        (None, True, False, True, "token"),
        (FORM, True, False, False, "form"),
        (BARE, True, False, False, "form"),
        (URL, True, False, False, "url"),
        (BOTH, True, False, False, "form"),
        (BOTH, True, True, False, "url"),
        (FORM, True, True, False, "form"),
        (URL, True, False, True, "url"),  # URL mode beats the weaker token
        (FORM, False, False, False, "page"),  # declared, but no channel to ask on
        (BOTH, False, True, True, "token"),
    ],
)
def test_the_channel_follows_what_the_client_can_show_the_human(
    elicitation: ElicitationCapability | None,
    can_ask: bool,
    prefer_url: bool,
    token_mode: bool,
    channel: Channel,
) -> None:
    capabilities = ClientCapabilities(elicitation=elicitation)
    chosen = choose_channel(
        capabilities, can_ask=can_ask, prefer_url=prefer_url, token_mode=token_mode
    )
    assert chosen == channel


def test_no_capabilities_at_all_means_the_approval_page() -> None:
    assert choose_channel(None, can_ask=True) == "page"


@pytest.mark.parametrize(
    "state", [RoundState("form", "dnc_abc"), RoundState("url", "dnc_abc", "apr_xyz")]
)
def test_round_state_survives_the_round_trip(state: RoundState) -> None:
    assert RoundState.decode(state.encode()) == state


@pytest.mark.parametrize(
    "text", [None, "", "not json", "[]", '{"v": 2, "ask": "form"}', '{"v": 1, "ask": "token"}']
)
def test_state_that_is_not_ours_means_round_one(text: str | None) -> None:
    assert RoundState.decode(text) is None


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (AcceptedElicitation[Any].model_construct(data=None), "yes"),
        (DeclinedElicitation(), "declined"),
        (CancelledElicitation(), "cancelled"),
        (None, "not_asked"),
    ],
)
def test_a_url_elicitation_answer_says_only_whether_the_page_was_opened(
    answer: object, said: str
) -> None:
    assert interpret_url(answer) == said


APPROVAL = new_approval(
    entry_id="dnc_abc",
    url="https://linkedin.com/in/jane",
    entry_created_at=None,
    team="team_a",
    key_fingerprint="fp_x",
    now=0.0,
    ttl_s=60,
)


@pytest.mark.parametrize(
    ("status", "reported", "phrase"),
    [
        ("deleted", "deleted", "approved on the approval page at 1970-01-01T00:00:05.000Z"),
        ("declined", "not_deleted", "the human declined"),
        ("expired", "not_deleted", "expired without a decision"),
    ],
)
def test_the_final_state_of_an_approval_is_what_the_tool_reports(
    status: str, reported: str, phrase: str
) -> None:
    approval = replace(APPROVAL, status=status, decided_at=5.0)  # type: ignore[arg-type]
    result = outcome_result(approval)
    assert result.status == reported
    assert phrase in result.message
    assert result.approval_url is None


def test_a_failed_deletion_after_a_yes_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="deletion failed: gone"):
        outcome_result(replace(APPROVAL, status="failed", detail="gone"))


@pytest.mark.parametrize("status", ["approved", "deleting"])
def test_an_unfinished_deletion_is_never_reported_as_done_or_not_done(status: str) -> None:
    with pytest.raises(ToolError, match="not known"):
        outcome_result(replace(APPROVAL, status=status))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry_id", "url"),
    [(None, None), ("dnc_a1", "in/x"), ("dnc-a1", None), ("dnc_", None), ("dnc_a/../b", None)],
)
def test_delete_arguments_must_name_exactly_one_well_formed_entry(
    entry_id: str | None, url: str | None
) -> None:
    with pytest.raises(ToolError):
        validate_delete_args(entry_id, url)


@pytest.mark.parametrize(("entry_id", "url"), [("dnc_A1b2", None), (None, "in/someone")])
def test_valid_delete_arguments_pass(entry_id: str | None, url: str | None) -> None:
    validate_delete_args(entry_id, url)


@pytest.mark.parametrize(
    ("outcome", "answer"),
    [
        (AcceptedElicitation(data=DeleteConfirmation(confirm=True)), "yes"),
        (AcceptedElicitation(data=DeleteConfirmation(confirm=False)), "no"),
        (DeclinedElicitation(), "declined"),
        (CancelledElicitation(), "cancelled"),
        (AcceptedElicitation[Any].model_construct(data=None), "not_asked"),
        (None, "not_asked"),
    ],
)
def test_only_an_accepted_form_with_confirm_true_counts_as_yes(
    outcome: object, answer: str
) -> None:
    assert interpret_answer(outcome) == answer


@pytest.mark.anyio
async def test_delete_by_id_shows_the_url_found_by_scanning_the_list(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack:
        entry = await stack.deps.api.add("in/janedoe")
        target = await find_delete_target(stack.deps.api, entry.id, None)
    assert target == DeleteTarget(
        entry_id=entry.id,
        url="https://linkedin.com/in/janedoe",
        created_at=entry.created_at,
        team="team_a",
    )


def _modules(package: Path) -> dict[str, ast.Module]:
    return {
        str(path.relative_to(package.parent)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(package.rglob("*.py"))
    }


MCP_SERVER = Path(mcp_server.__file__).parent


def test_one_function_in_the_server_sends_a_delete() -> None:
    senders = [
        f"{name}:{node.lineno}"
        for name, tree in _modules(MCP_SERVER).items()
        if name != "mcp_server/tenancy.py"  # the API adapters themselves
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "delete"
    ]
    assert len(senders) == 1
    assert senders[0].startswith("mcp_server/deletion/execute.py:")


def test_the_delete_flow_never_imports_the_tool_glue() -> None:
    for name, tree in _modules(MCP_SERVER / "deletion").items():
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        }
        assert not imported & {"mcp_server.tools", "mcp_server.server"}, name
