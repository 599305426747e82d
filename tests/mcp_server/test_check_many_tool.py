"""`dnc_check_many` end to end (mcp.Client in memory -> MCPServer -> AsyncDncClient -> reference
server): read-only, one result per URL in input order, progress, never false for an error."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from dnc_client import CheckOutcome, DncEntry
from mcp_server.check_many import summary
from mcp_server.testing import StackFactory

pytestmark = pytest.mark.anyio


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_check_many_answers_each_url_in_order_with_few_reads_and_reports_progress(
    make_stack: StackFactory, mode: str
) -> None:
    listed = [f"in/listed-{i:04d}" for i in range(1500)]
    prospects = [f"https://www.linkedin.com/in/listed-{i:04d}/" for i in range(0, 3000, 2)]
    prospects += [
        "in/never-listed",
        "https://www.linkedin.com/company/acme",
        "uk.linkedin.com/in/listed-0002",
    ]
    reports: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    async with make_stack() as stack, Client(stack.server, mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        await client.call_tool("dnc_add_batch", {"urls": listed})
        reads_before = len(stack.api.pacer.state._sent["read"])
        result = data(
            await client.call_tool(
                "dnc_check_many", {"urls": prospects}, progress_callback=on_progress
            )
        )
        reads = len(stack.api.pacer.state._sent["read"]) - reads_before
    assert tools["dnc_check_many"].annotations is not None
    assert tools["dnc_check_many"].annotations.read_only_hint is True
    results = result["results"]
    assert [r["url"] for r in results] == prospects
    assert [r["onList"] for r in results[:1500]] == [i < 1500 for i in range(0, 3000, 2)]
    assert results[1500]["onList"] is False
    assert results[1501]["onList"] is None
    assert results[1501]["error"]
    assert results[1502]["onList"] is True  # a form left to the server, checked through it
    assert (result["onListCount"], result["notOnListCount"], result["unknownCount"]) == (
        751,
        751,
        1,
    )
    assert reads <= 6  # 2 pages, the head again, and per-URL checks of 2 undocumented forms
    assert reports
    assert reports[-1][0] == reports[-1][1]


def test_the_summary_never_counts_an_unknown_as_cleared() -> None:
    entry = DncEntry.model_validate(
        {
            "$id": "dnc_a1",
            "teamId": "t",
            "url": "https://linkedin.com/in/abc",
            "$createdAt": "2025-11-18T10:30:00.000Z",
            "$updatedAt": "2025-11-18T10:30:00.000Z",
        }
    )
    result = summary(
        [
            CheckOutcome(url="in/abc", on_list=True, entry=entry),
            CheckOutcome(url="in/def", on_list=False),
            CheckOutcome(url="in/ghi", on_list=None, error="timeout"),
        ]
    )
    assert (result.on_list, result.not_on_list, result.unknown) == (1, 1, 1)
    assert "do not contact them until a check succeeds" in result.message


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def test_the_text_is_counts_then_one_short_line_per_listed_or_unknown_input(
    make_stack: StackFactory,
) -> None:
    prospects = [f"https://www.linkedin.com/in/listed-{i:04d}/" for i in range(0, 1000, 2)]
    prospects += ["https://www.linkedin.com/company/acme", "in/never-listed"]
    async with make_stack() as stack, Client(stack.server) as client:
        await client.call_tool(
            "dnc_add_batch", {"urls": [f"in/listed-{i:04d}" for i in range(500)]}
        )
        result = await client.call_tool("dnc_check_many", {"urls": prospects})
        only = await client.call_tool("dnc_check_many", {"urls": prospects, "only": "unknown"})
    text, shown = text_of(result), 250 + 1
    assert len(text) <= 2_000 + 40 * shown
    assert "{" not in text  # never JSON
    assert text.startswith("250 of 502 are ON the Do-Not-Contact list")
    assert "\n0 in/listed-0000\n" in text
    assert "\n500 https://www.linkedin.com/compan" in text
    assert "in/never-listed" not in text  # not listed: counted, not shown
    assert len(data(result)["results"]) == len(prospects)
    filtered = data(only)
    assert filtered["indexes"] == [500]
    assert [r["url"] for r in filtered["results"]] == ["https://www.linkedin.com/company/acme"]
    assert "in/listed-0000" not in text_of(only)


async def test_a_list_over_the_maximum_is_refused_with_a_request_to_split_it(
    make_stack: StackFactory,
) -> None:
    urls = [f"in/person-{i:05d}" for i in range(10_001)]
    async with make_stack() as stack, Client(stack.server) as client:
        checked = await client.call_tool("dnc_check_many", {"urls": urls})
        added = await client.call_tool("dnc_add_batch", {"urls": urls})
    for result in (checked, added):
        assert result.is_error
        assert "Split the list into calls of 10,000 or fewer" in text_of(result)


async def test_add_batch_text_names_only_the_urls_that_were_not_recorded(
    make_stack: StackFactory,
) -> None:
    urls = [f"in/person-{i:04d}" for i in range(500)]
    urls[7] = "https://example.com/not-linkedin"
    async with make_stack() as stack, Client(stack.server) as client:
        result = await client.call_tool("dnc_add_batch", {"urls": urls})
    text = text_of(result)
    assert len(text) <= 2_000 + 40
    assert "\n7 https://example.com/not-linkedin" in text
    assert "person-0001" not in text
    assert result.structured_content is not None
    assert len(result.structured_content["details"]) == 500
