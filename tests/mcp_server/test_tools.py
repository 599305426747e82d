"""The add, check and list tool functions without the protocol: chunking, merging, errors."""

from __future__ import annotations

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from dnc_client import BatchDetail, BatchResult
from mcp_server import tools
from mcp_server.testing import StackFactory

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("count", "size", "lengths"),
    [(0, 3, []), (1, 3, [1]), (3, 3, [3]), (7, 3, [3, 3, 1]), (2001, 1000, [1000, 1000, 1])],
)
def test_chunked_splits_in_order_into_at_most_size(
    count: int, size: int, lengths: list[int]
) -> None:
    items = [str(i) for i in range(count)]
    chunks = list(tools.chunked(items, size))
    assert [len(c) for c in chunks] == lengths
    assert [x for c in chunks for x in c] == items


def test_merge_batches_adds_counts_and_keeps_details_in_order() -> None:
    first = BatchResult(
        added=1,
        duplicates=1,
        errors=0,
        details=[
            BatchDetail(url="https://linkedin.com/in/a", status="added"),
            BatchDetail(url="https://linkedin.com/in/a", status="duplicate"),
        ],
    )
    second = BatchResult(
        added=0,
        duplicates=0,
        errors=1,
        details=[BatchDetail(url="bad", status="error", error="Invalid LinkedIn URL format")],
    )
    merged = tools.merge_batches([first, second], requests=2)
    assert (merged.added, merged.duplicates, merged.errors, merged.requests) == (1, 1, 1, 2)
    assert [d.url for d in merged.details] == ["https://linkedin.com/in/a"] * 2 + ["bad"]
    assert "NOT recorded" in merged.message


async def test_a_batch_that_fails_part_way_reports_sent_chunks_and_marks_the_rest_unsent(
    make_stack: StackFactory,
) -> None:
    # batch bucket of 1 and no waiting allowed: the second request cannot be sent.
    async with make_stack(rate_limits={"write": 30, "read": 60, "batch": 1}, max_wait_s=0) as stack:
        urls = [f"in/person-{i:03d}" for i in range(5)]
        reports: list[tuple[int, int, str]] = []

        async def progress(done: int, total: int, message: str) -> None:
            reports.append((done, total, message))

        result = await tools.add_urls(stack.deps, urls, "import", progress, chunk_size=3)
    assert (result.added, result.errors, result.requests) == (3, 2, 1)
    assert [d.status for d in result.details] == ["added"] * 3 + ["error"] * 2
    assert result.details[3].error is not None
    assert result.details[3].error.startswith("not sent:")
    assert reports == [(3, 5, "3/5 URLs processed")]
    assert [line["outcome"] for line in stack.audit_lines()][-2:] == [
        "error: rate_limit_exceeded"
    ] * 2


async def test_a_batch_whose_first_request_fails_is_a_tool_error(
    make_stack: StackFactory,
) -> None:
    async with make_stack(rate_limits={"write": 30, "read": 60, "batch": 1}, max_wait_s=0) as stack:
        await stack.api.pacer.acquire("batch")
        with pytest.raises(ToolError, match="rate limit"):
            await tools.add_urls(stack.deps, ["in/person-001"], None)
