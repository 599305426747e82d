"""The approval page over real HTTP: it shows, it decides once, and it resists forgery.

The stack serves the page on a loopback port exactly as `dnc mcp` does in stdio mode; the MCP
client has no elicitation, so `dnc_delete` answers with the link for the human.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from mcp_server.deletion.approval import APPROVED_ON_PAGE
from mcp_server.stdio_page import page_on_demand
from mcp_server.tenancy import key_fingerprint
from mcp_server.testing import Stack, StackFactory, open_stack

from . import browser

pytestmark = pytest.mark.anyio


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


async def on_list(stack: Stack, url: str) -> bool:
    async with stack.http() as http:
        response = await http.get("/dnc/check", params={"url": url})
    listed: bool = response.json()["data"]["onList"]
    return listed


async def request_link(stack: Stack, url: str = "in/johnsmith") -> tuple[str, dict[str, Any]]:
    async with Client(stack.server) as client:
        entry = data(await client.call_tool("dnc_add", {"url": url}))["entry"]
        result = await client.call_tool("dnc_delete", {"url": url})
    preview = data(result)
    assert preview["status"] == "approval_required"
    link: str = preview["approval_url"]
    return link, {"entry": entry, "result": result, "preview": preview}


async def test_the_delete_result_is_a_link_to_the_page_and_deletes_nothing(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack:
        link, seen = await request_link(stack)
        page = await browser.open_page(link)
        assert await on_list(stack, "in/johnsmith")
    assert link.startswith(f"{stack.page_url}/approve/apr_")
    assert "NOTHING WAS DELETED" in seen["preview"]["message"]
    assert page.secret not in seen["result"].model_dump_json()  # the secret is never in a result
    assert stack.audit_lines()[-1]["outcome"] == "approval_requested"


async def test_opening_the_page_shows_the_entry_and_the_consequence_and_deletes_nothing(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack:
        link, seen = await request_link(stack)
        pages = [await browser.open_page(link) for _ in range(3)]  # prefetchers, reloads
        assert await on_list(stack, "in/johnsmith")
    page = pages[0]
    assert page.status == 200
    entry = seen["entry"]
    for shown in ("https://linkedin.com/in/johnsmith", entry["$id"], entry["$createdAt"]):
        assert shown in page.text
    assert "permanent" in page.text
    assert "contact this person again" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert 'value="approve"' in page.text
    assert 'value="decline"' in page.text


async def test_approving_on_the_page_deletes_exactly_once_and_is_audited(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack:
        link, seen = await request_link(stack)
        form = await browser.open_page(link)
        stack.clock.advance(7)
        approved = await browser.submit(link, "approve", form.secret)
        assert not await on_list(stack, "in/johnsmith")
        async with Client(stack.server) as client:  # the person is added again ...
            await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        replayed = await browser.submit(link, "approve", form.secret)  # ... and a replay
        assert await on_list(stack, "in/johnsmith")
    assert approved.status == 200
    assert "deleted" in approved.text
    assert replayed.status == 409
    deleted = [line for line in stack.audit_lines() if line["outcome"] == "deleted"]
    assert len(deleted) == 1
    [line] = deleted
    assert line["confirmed_by"] == APPROVED_ON_PAGE == "approved on the approval page"
    assert line["approved_at"] == "2025-11-18T10:00:07.000Z"
    assert line["id"] == seen["entry"]["$id"]
    assert line["team"] == "team_a"
    assert line["key_fingerprint"] == key_fingerprint(stack.api_key)
    assert line["channel"] == "page"
    assert line["approver"] is None  # loopback: whoever opened the link on this machine


async def test_the_page_starts_with_the_first_approval_not_with_the_server(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack:
        before = stack.approvals.base_url
        link, _ = await request_link(stack)
        started = stack.page_url
        other, _ = await request_link(stack, "in/someone-else")
        page = await browser.open_page(other)
    assert before is None  # no web server for a session that never deletes
    assert link.startswith(f"{started}/approve/apr_")
    assert other.startswith(f"{started}/approve/apr_")  # one page for the whole session
    assert page.status == 200


async def test_declining_on_the_page_deletes_nothing(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        link, _ = await request_link(stack)
        declined = await browser.decline(link)
        later = await browser.open_page(link)
        assert await on_list(stack, "in/johnsmith")
    assert declined.status == 200
    assert "nothing was deleted" in declined.text.lower()
    assert not later.has_form
    assert stack.audit_lines()[-1]["outcome"] == "not_deleted: declined on the approval page"


async def test_an_expired_request_cannot_be_approved(make_stack: StackFactory) -> None:
    async with make_stack(approval_ttl_s=60) as stack:
        link, _ = await request_link(stack)
        form = await browser.open_page(link)
        stack.clock.advance(61)
        late = await browser.submit(link, "approve", form.secret)
        shown = await browser.open_page(link)
        assert await on_list(stack, "in/johnsmith")
    assert late.status == 410
    assert shown.status == 410
    assert "expired" in late.text
    assert stack.audit_lines()[-1]["outcome"] == "not_deleted: approval expired"


@pytest.mark.parametrize(
    ("attack", "status"),
    [
        ({"secret": "forged-secret"}, 403),
        ({"secret": None}, 403),
        ({"origin": "null"}, 403),  # an opaque origin (sandboxed frame, data: URL)
        ({"origin": "http://evil.example"}, 403),  # a form on another site
        ({"origin": "http://127.0.0.1:1"}, 403),  # another local port
        ({"host": "evil.example"}, 421),  # DNS rebinding: a foreign name resolved to us
        ({"content_type": "application/json"}, 415),
        ({"decision": "maybe"}, 400),
    ],
)
async def test_a_forged_post_deletes_nothing_and_leaves_the_request_to_the_human(
    make_stack: StackFactory, attack: dict[str, Any], status: int
) -> None:
    async with make_stack() as stack:
        link, _ = await request_link(stack)
        form = await browser.open_page(link)
        decision = attack.pop("decision", "approve")
        secret = attack.pop("secret", form.secret)
        forged = await browser.submit(link, decision, secret, **attack)
        assert await on_list(stack, "in/johnsmith")
        human = await browser.submit(link, "approve", form.secret)
        assert not await on_list(stack, "in/johnsmith")
    assert forged.status == status
    assert human.status == 200


async def test_a_cross_site_fetch_is_refused_even_without_origin(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        link, _ = await request_link(stack)
        form = await browser.open_page(link)
        forged = await browser.submit(
            link, "approve", form.secret, origin=None, sec_fetch_site="cross-site"
        )
        assert await on_list(stack, "in/johnsmith")
    assert forged.status == 403


async def test_a_scripted_human_without_an_origin_header_decides_with_the_pages_secret(
    make_stack: StackFactory,
) -> None:
    # Browsers send Origin on every cross-origin POST, so its absence is no browser forgery;
    # the page's secret (and the Host) decide, as for any HTTP client a person scripts.
    async with make_stack() as stack:
        link, _ = await request_link(stack)
        form = await browser.open_page(link)
        approved = await browser.submit(link, "approve", form.secret, origin=None)
        assert not await on_list(stack, "in/johnsmith")
    assert approved.status == 200


async def test_a_page_fetched_under_a_rebound_host_name_shows_no_form(
    make_stack: StackFactory,
) -> None:
    async with make_stack() as stack:
        link, _ = await request_link(stack)
        rebound = await browser.open_page(link, host="attacker.example")
    assert rebound.status == 421
    assert not rebound.has_form


async def test_an_unknown_approval_is_not_found(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        page_url = await stack.start_page()
        missing = await browser.open_page(f"{page_url}/approve/apr_nope")
        posted = await browser.submit(f"{page_url}/approve/apr_nope", "approve", "x")
    assert (missing.status, posted.status) == (404, 404)


async def test_asking_again_while_pending_returns_the_same_link(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        link, seen = await request_link(stack)
        async with Client(stack.server) as client:
            again = data(await client.call_tool("dnc_delete", {"entry_id": seen["entry"]["$id"]}))
    assert again["approval_url"] == link
    requested = [line for line in stack.audit_lines() if line["outcome"] == "approval_requested"]
    assert len(requested) == 1


async def test_two_simultaneous_approvals_delete_once(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        link, _ = await request_link(stack)
        form = await browser.open_page(link)
        statuses: list[int] = []

        async def press() -> None:
            statuses.append((await browser.submit(link, "approve", form.secret)).status)

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(press)
    assert sorted(statuses) == [200, 409, 409, 409, 409]
    assert sum(line["outcome"] == "deleted" for line in stack.audit_lines()) == 1
    assert json.dumps(stack.audit_lines()).count(stack.api_key) == 0


async def test_a_taken_approval_port_is_a_clear_tool_error_on_the_first_delete(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port: int = taken.getsockname()[1]
        async with open_stack(tmp_path) as stack:
            stack.approvals.start_page = None  # the stack's own page gives way to this one
            async with page_on_demand(stack.approvals, port), Client(stack.server) as client:
                await client.call_tool("dnc_add", {"url": "in/johnsmith"})
                result = await client.call_tool("dnc_delete", {"url": "in/johnsmith"})
            assert await on_list(stack, "in/johnsmith")
    assert result.is_error
    text = result.model_dump_json()
    assert f"127.0.0.1:{port}" in text
    assert "Nothing was deleted" in text
    assert "Traceback" not in text
