"""End to end: `mcp.Client` in memory -> MCPServer -> DncClient -> the reference server (ASGI).

Every test runs in both protocol modes: `auto` (2026-07-28, elicitation via input_required
rounds) and `legacy` (initialize handshake, elicitation as a server-to-client request).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, ErrorData, TextContent

from mcp_server.config import ToolMode
from mcp_server.deletion import DeletePolicy
from mcp_server.deletion.tokens import TOKEN_PREFIX
from mcp_server.tenancy import key_fingerprint
from mcp_server.testing import Stack, StackFactory

pytestmark = pytest.mark.anyio

# `dnc mcp --confirm-with-token`: the weaker echo-token flow for clients without elicitation.
TOKEN_MODE = DeletePolicy(confirm_with_token=True)


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@dataclass
class Answering:
    """An elicitation callback that always gives the same answer and records the questions."""

    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] | None = None
    asked: list[str] = field(default_factory=list)

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        self.asked.append(params.message)
        return ElicitResult(action=self.action, content=self.content)


def text_of(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


async def on_list(stack: Stack, url: str) -> bool:
    async with stack.http() as http:
        response = await http.get("/dnc/check", params={"url": url})
    on: bool = response.json()["data"]["onList"]
    return on


# ---- discovery ----------------------------------------------------------------------------


async def test_every_tool_is_listed_with_annotations_and_typed_schemas(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {
        "dnc_add",
        "dnc_add_batch",
        "dnc_check",
        "dnc_check_many",
        "dnc_list",
        "dnc_delete",
    }
    for tool in tools.values():
        assert tool.annotations is not None
        assert tool.output_schema is not None
        assert tool.description
        assert tool.description.split()[0] in {"Add", "Check", "List", "Remove"}
    assert tools["dnc_check"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["dnc_list"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["dnc_delete"].annotations.destructive_hint is True  # type: ignore[union-attr]
    for name in ("dnc_add", "dnc_add_batch"):
        annotations = tools[name].annotations
        assert annotations is not None
        assert annotations.idempotent_hint is True
        assert annotations.destructive_hint is False
    delete_params = tools["dnc_delete"].input_schema["properties"]
    assert set(delete_params) == {"entry_id", "url"}  # no token: nothing the model says deletes
    assert tools["dnc_list"].input_schema["properties"]["limit"]["maximum"] == 1000
    assert tools["dnc_add"].input_schema["properties"]["url"]["maxLength"] == 2048


async def test_read_only_mode_offers_only_check_and_list(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack(mode=ToolMode.READ_ONLY) as stack, Client(stack.server, mode=mode) as c:
        names = {tool.name for tool in (await c.list_tools()).tools}
        refused = await c.call_tool("dnc_add", {"url": "in/johnsmith"})
        assert not await on_list(stack, "in/johnsmith")
    assert names == {"dnc_check", "dnc_check_many", "dnc_list"}
    assert refused.is_error


async def test_no_delete_mode_offers_everything_but_delete(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack(mode=ToolMode.NO_DELETE) as stack, Client(stack.server, mode=mode) as c:
        names = {tool.name for tool in (await c.list_tools()).tools}
        await c.call_tool("dnc_add", {"url": "in/johnsmith"})
        refused = await c.call_tool("dnc_delete", {"url": "in/johnsmith"})
        assert await on_list(stack, "in/johnsmith")
    assert names == {"dnc_add", "dnc_add_batch", "dnc_check", "dnc_check_many", "dnc_list"}
    assert refused.is_error


# ---- add, batch, check, list --------------------------------------------------------------


async def test_add_records_an_opt_out_that_check_then_sees(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        added = data(await client.call_tool("dnc_add", {"url": "in/JohnSmith", "reason": "stop"}))
        checked = data(await client.call_tool("dnc_check", {"url": "linkedin.com/in/johnsmith/"}))
    assert added["status"] == "added"
    assert added["entry"]["url"] == "https://linkedin.com/in/johnsmith"
    assert checked["onList"] is True
    assert checked["entry"]["$id"] == added["entry"]["$id"]
    [line] = stack.audit_lines()
    assert line["tool"] == "dnc_add"
    assert line["outcome"] == "added"
    assert line["id"] == added["entry"]["$id"]
    assert line["reason"] == "stop"


async def test_adding_an_already_listed_url_is_success_with_the_existing_entry(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        first = data(await client.call_tool("dnc_add", {"url": "https://linkedin.com/in/amy"}))
        again = await client.call_tool("dnc_add", {"url": "www.linkedin.com/in/amy/"})
    assert not again.is_error
    assert data(again)["status"] == "already_listed"
    assert data(again)["entry"] == first["entry"]
    assert [line["outcome"] for line in stack.audit_lines()] == ["added", "already_listed"]


async def test_an_invalid_url_error_names_the_accepted_formats(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        add = await client.call_tool("dnc_add", {"url": "https://linkedin.com/company/acme"})
        check = await client.call_tool("dnc_check", {"url": "not a url"})
    for result in (add, check):
        assert result.is_error
        assert "linkedin.com/in/username" in text_of(result)
    assert stack.audit_lines()[0]["outcome"] == "error: invalid_url"


async def test_an_empty_url_is_rejected_before_any_request(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        result = await client.call_tool("dnc_add", {"url": ""})
    assert result.is_error
    assert stack.audit_lines() == []


async def test_batch_chunks_any_number_of_urls_merges_results_and_reports_progress(
    make_stack: StackFactory, mode: str
) -> None:
    urls = [f"in/person-{i:05d}" for i in range(2100)]
    urls[5] = "in/person-00001"  # repeated inside the request
    urls[1500] = "https://linkedin.com/company/acme"  # not a profile
    reports: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        result = await client.call_tool(
            "dnc_add_batch",
            {"urls": urls, "reason": "import"},
            progress_callback=on_progress,
        )
        merged = data(result)
        assert await on_list(stack, "in/person-02099")
    assert merged["requests"] == 3
    assert (merged["added"], merged["duplicates"], merged["errors"]) == (2098, 1, 1)
    assert len(merged["details"]) == 2100
    assert merged["details"][5]["status"] == "duplicate"
    assert merged["details"][1500] == {
        "url": "https://linkedin.com/company/acme",
        "status": "error",
        "error": "Invalid LinkedIn URL format",
    }
    assert [r[0] for r in reports] == [1000, 2000, 2100]
    assert all(r[1] == 2100 for r in reports)
    assert len(stack.audit_lines()) == 2100


async def test_list_pages_newest_first_and_says_where_the_next_page_starts(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        for name in ("first", "second", "third"):
            await client.call_tool("dnc_add", {"url": f"in/{name}"})
            stack.clock.advance(1)
        page = data(await client.call_tool("dnc_list", {"limit": 2}))
        last = data(await client.call_tool("dnc_list", {"limit": 2, "offset": 2}))
        default = data(await client.call_tool("dnc_list", {}))
        too_big = await client.call_tool("dnc_list", {"limit": 1001})
    assert [e["url"] for e in page["entries"]] == [
        "https://linkedin.com/in/third",
        "https://linkedin.com/in/second",
    ]
    assert page["next_offset"] == 2
    assert [e["url"] for e in last["entries"]] == ["https://linkedin.com/in/first"]
    assert last["next_offset"] is None
    assert (default["limit"], default["offset"], default["total"]) == (50, 0, 3)
    assert too_big.is_error


async def test_a_check_of_an_unknown_url_is_not_on_the_list(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        checked = data(await client.call_tool("dnc_check", {"url": "in/nobody"}))
    assert checked == {"onList": False, "entry": None}
    assert stack.audit_lines() == []


# ---- delete with elicitation --------------------------------------------------------------


async def test_delete_asks_the_human_and_deletes_after_a_yes(
    make_stack: StackFactory, mode: str
) -> None:
    yes = Answering("accept", {"confirm": True})
    async with (
        make_stack() as stack,
        Client(stack.server, mode=mode, elicitation_callback=yes) as c,
    ):
        entry = data(await c.call_tool("dnc_add", {"url": "in/johnsmith"}))["entry"]
        deleted = data(await c.call_tool("dnc_delete", {"url": "in/johnsmith"}))
        assert not await on_list(stack, "in/johnsmith")
    assert deleted["status"] == "deleted"
    assert deleted["entry_id"] == entry["$id"]
    [question] = yes.asked
    assert "https://linkedin.com/in/johnsmith" in question
    assert entry["$id"] in question
    assert "permanent" in question
    last = stack.audit_lines()[-1]
    assert last["outcome"] == "deleted"
    assert last["confirmed_by"] == "elicitation"
    assert last["channel"] == "form"
    assert last["approver"] == key_fingerprint(stack.api_key)  # the human at this key's client
    assert last["approved_at"] == "2025-11-18T10:00:00.000Z"


@pytest.mark.parametrize(
    ("action", "content", "answer"),
    [
        ("decline", None, "declined"),
        ("cancel", None, "cancelled"),
        ("accept", {"confirm": False}, "no"),
    ],
)
async def test_delete_deletes_nothing_unless_the_human_says_yes(
    make_stack: StackFactory,
    mode: str,
    action: Literal["accept", "decline", "cancel"],
    content: dict[str, Any] | None,
    answer: str,
) -> None:
    callback = Answering(action, content)
    async with (
        make_stack() as stack,
        Client(stack.server, mode=mode, elicitation_callback=callback) as client,
    ):
        await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        result = data(await client.call_tool("dnc_delete", {"url": "in/johnsmith"}))
        assert await on_list(stack, "in/johnsmith")
    assert result["status"] == "not_deleted"
    assert answer in result["message"]
    assert stack.audit_lines()[-1]["outcome"] == f"not_deleted: human answer {answer}"


async def test_an_elicitation_client_cannot_skip_the_question_with_a_token(
    make_stack: StackFactory, mode: str
) -> None:
    no = Answering("decline")
    async with make_stack(policy=TOKEN_MODE) as stack:
        async with Client(stack.server, mode=mode) as plain:
            await plain.call_tool("dnc_add", {"url": "in/johnsmith"})
            preview = data(await plain.call_tool("dnc_delete", {"url": "in/johnsmith"}))
        async with Client(stack.server, mode=mode, elicitation_callback=no) as asking:
            args = {"url": "in/johnsmith", "confirmation_token": preview["confirmation_token"]}
            result = data(await asking.call_tool("dnc_delete", args))
        assert await on_list(stack, "in/johnsmith")
    assert result["status"] == "not_deleted"


# ---- delete with confirmation tokens (--confirm-with-token, no elicitation) --------------


async def test_in_token_mode_the_first_delete_call_only_previews(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack(policy=TOKEN_MODE) as stack, Client(stack.server, mode=mode) as client:
        entry = data(await client.call_tool("dnc_add", {"url": "in/johnsmith"}))["entry"]
        preview = data(await client.call_tool("dnc_delete", {"entry_id": entry["$id"]}))
        assert await on_list(stack, "in/johnsmith")
        args = {"entry_id": entry["$id"], "confirmation_token": preview["confirmation_token"]}
        deleted = data(await client.call_tool("dnc_delete", args))
        assert not await on_list(stack, "in/johnsmith")
    assert preview["status"] == "confirmation_required"
    assert preview["url"] == "https://linkedin.com/in/johnsmith"
    assert preview["confirmation_token"].startswith(TOKEN_PREFIX)
    assert "NOTHING WAS DELETED" in preview["message"]
    assert preview["expires_at"] == "2025-11-18T10:05:00.000Z"
    assert deleted["status"] == "deleted"
    outcomes = [line["outcome"] for line in stack.audit_lines()]
    assert outcomes == ["added", "confirmation_required", "deleted"]
    last = stack.audit_lines()[-1]
    assert (last["channel"], last["confirmed_by"]) == ("token", "confirmation_token")
    assert last["approver"] == key_fingerprint(stack.api_key)


async def test_a_token_is_single_use(make_stack: StackFactory, mode: str) -> None:
    async with make_stack(policy=TOKEN_MODE) as stack, Client(stack.server, mode=mode) as client:
        await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        token = data(await client.call_tool("dnc_delete", {"url": "in/johnsmith"}))[
            "confirmation_token"
        ]
        args = {"url": "in/johnsmith", "confirmation_token": token}
        assert data(await client.call_tool("dnc_delete", args))["status"] == "deleted"
        await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        reused = await client.call_tool("dnc_delete", args)
        assert await on_list(stack, "in/johnsmith")
    assert reused.is_error
    assert "already used" in text_of(reused)


async def test_a_token_for_another_entry_deletes_nothing(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack(policy=TOKEN_MODE) as stack, Client(stack.server, mode=mode) as client:
        await client.call_tool("dnc_add", {"url": "in/alice"})
        await client.call_tool("dnc_add", {"url": "in/bob"})
        token = data(await client.call_tool("dnc_delete", {"url": "in/alice"}))[
            "confirmation_token"
        ]
        wrong = await client.call_tool("dnc_delete", {"url": "in/bob", "confirmation_token": token})
        spent = await client.call_tool(
            "dnc_delete", {"url": "in/alice", "confirmation_token": token}
        )
        assert await on_list(stack, "in/alice")
        assert await on_list(stack, "in/bob")
    assert wrong.is_error
    assert "issued for entry" in text_of(wrong)
    assert spent.is_error  # a misused token is void


async def test_an_expired_token_deletes_nothing(make_stack: StackFactory, mode: str) -> None:
    async with (
        make_stack(policy=TOKEN_MODE, token_ttl_s=120) as stack,
        Client(stack.server, mode=mode) as client,
    ):
        await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        token = data(await client.call_tool("dnc_delete", {"url": "in/johnsmith"}))[
            "confirmation_token"
        ]
        stack.clock.advance(121)
        late = await client.call_tool(
            "dnc_delete", {"url": "in/johnsmith", "confirmation_token": token}
        )
        assert await on_list(stack, "in/johnsmith")
    assert late.is_error
    assert "expired" in text_of(late)


async def test_a_made_up_token_deletes_nothing(make_stack: StackFactory, mode: str) -> None:
    async with make_stack(policy=TOKEN_MODE) as stack, Client(stack.server, mode=mode) as client:
        await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        args = {"url": "in/johnsmith", "confirmation_token": TOKEN_PREFIX + "guess"}
        result = await client.call_tool("dnc_delete", args)
        assert await on_list(stack, "in/johnsmith")
    assert result.is_error


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, "exactly one of entry_id"),
        ({"entry_id": "dnc_abc", "url": "in/johnsmith"}, "exactly one of entry_id"),
        ({"entry_id": "12345"}, "not a DNC entry id"),
        ({"entry_id": "dnc_doesnotexist"}, "No entry dnc_doesnotexist"),
        ({"url": "in/nobody"}, "not on your team's Do-Not-Contact list"),
        ({"url": "https://example.com/x"}, "linkedin.com/in/username"),
    ],
)
async def test_a_delete_of_an_unclear_entry_is_refused_with_a_next_step(
    make_stack: StackFactory, mode: str, arguments: dict[str, str], expected: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        result = await client.call_tool("dnc_delete", arguments)
    assert result.is_error
    assert expected in text_of(result)
    assert stack.audit_lines() == []


async def test_another_teams_entry_cannot_be_deleted(make_stack: StackFactory, mode: str) -> None:
    async with make_stack() as stack:
        async with stack.http(stack.other_team_key) as other:
            theirs = (await other.post("/dnc", json={"url": "in/johnsmith"})).json()["data"]
        async with Client(stack.server, mode=mode) as client:
            result = await client.call_tool("dnc_delete", {"entry_id": theirs["$id"]})
        async with stack.http(stack.other_team_key) as other:
            check = await other.get("/dnc/check", params={"url": "in/johnsmith"})
    assert result.is_error
    assert check.json()["data"]["onList"] is True


# ---- rate limits, secrets, prompt ---------------------------------------------------------


async def test_an_exhausted_write_bucket_is_waited_out_on_the_clock_and_the_add_succeeds(
    make_stack: StackFactory, mode: str
) -> None:
    # The server allows 2 writes per window; the client believes 30 (another client of the
    # team spent the budget), so it meets a real 429 and must wait until resetTime.
    async with (
        make_stack(
            rate_limits={"write": 2, "read": 60, "batch": 10},
            client_rate_limits={"write": 30, "read": 60, "batch": 10},
        ) as stack,
        Client(stack.server, mode=mode) as client,
    ):
        for name in ("first", "second", "third"):
            result = data(await client.call_tool("dnc_add", {"url": f"in/{name}"}))
            assert result["status"] == "added"
    assert stack.sleep.calls, "the third add should have waited"
    assert 55 <= sum(stack.sleep.calls) <= 61


async def test_the_api_key_never_appears_in_any_result_log_or_audit(
    make_stack: StackFactory, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("dnc_add", {"url": "in/johnsmith", "reason": "stop"}),
        ("dnc_add", {"url": "in/johnsmith"}),
        ("dnc_add", {"url": "bad url"}),
        ("dnc_add_batch", {"urls": ["in/x1", "nope"]}),
        ("dnc_check", {"url": "in/johnsmith"}),
        ("dnc_check", {"url": "ftp://linkedin.com/in/x"}),
        ("dnc_list", {"limit": 5}),
        ("dnc_delete", {"url": "in/johnsmith"}),
        ("dnc_delete", {"url": "in/johnsmith", "confirmation_token": "dncconfirm_wrong"}),
        ("dnc_delete", {"entry_id": "dnc_missing"}),
    ]
    dumps: list[str] = []
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            dumps.append(result.model_dump_json())
        prompt = await client.get_prompt(
            "handle_opt_out_reply", {"reply_text": "stop", "linkedin_url": "in/x"}
        )
        dumps.append(prompt.model_dump_json())
    everything = "\n".join([*dumps, stack.audit_path.read_text(), caplog.text])
    assert stack.api_key not in everything
    assert "Bearer" not in everything
    assert stack.api_key not in repr(stack.deps.api)


async def test_the_opt_out_prompt_walks_through_deciding_and_recording(
    make_stack: StackFactory, mode: str
) -> None:
    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        result = await client.get_prompt(
            "handle_opt_out_reply",
            {"reply_text": "Please remove me from your list", "linkedin_url": "in/jane"},
        )
    arguments = {a.name for a in prompts["handle_opt_out_reply"].arguments or []}
    assert arguments == {"reply_text", "linkedin_url"}
    text = json.dumps(result.model_dump(mode="json"))
    assert "Please remove me from your list" in text
    assert "dnc_add" in text
    assert "dnc_check" in text
    assert "Never call `dnc_delete`" in text
