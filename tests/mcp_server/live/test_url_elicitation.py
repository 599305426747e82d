"""URL-mode elicitation: the client sends the human to the server's approval page; the deletion
happens when the human approves there, and the tool call reports the outcome.

The Python SDK client declares form and URL elicitation, so the server is told to prefer URL
mode (`--prefer-url-elicitation`); both protocol eras. A client that declares URL mode only
(the TypeScript SDK, in test_external_clients.py) gets it without the preference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, ErrorData

from mcp_server.deletion import DeletePolicy
from mcp_server.testing import Stack, StackFactory

from . import browser
from .test_approval_page import data, on_list

pytestmark = pytest.mark.anyio
PREFER_URL = DeletePolicy(prefer_url_elicitation=True)


@dataclass
class HumanAtTheLink:
    """The client's elicitation callback: shows the link; the human acts on the page."""

    choice: Literal["approve", "decline", "refuse"]
    asked: list[ElicitRequestParams] = field(default_factory=list)
    pages: list[browser.Page] = field(default_factory=list)

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        self.asked.append(params)
        if params.mode != "url" or self.choice == "refuse":
            return ElicitResult(action="decline")
        self.pages.append(await browser.open_page(params.url))
        decided = await (browser.approve if self.choice == "approve" else browser.decline)(
            params.url
        )
        self.pages.append(decided)
        return ElicitResult(action="accept")


@pytest.fixture(params=["auto", "legacy"])
def era(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


async def delete_through(stack: Stack, human: HumanAtTheLink, era: str) -> dict[str, Any]:
    async with Client(stack.server, mode=era, elicitation_callback=human) as client:
        await client.call_tool("dnc_add", {"url": "in/johnsmith"})
        return data(await client.call_tool("dnc_delete", {"url": "in/johnsmith"}))


async def test_the_human_approves_on_the_page_and_the_call_reports_the_deletion(
    make_stack: StackFactory, era: str
) -> None:
    human = HumanAtTheLink("approve")
    async with make_stack(policy=PREFER_URL) as stack:
        result = await delete_through(stack, human, era)
        assert not await on_list(stack, "in/johnsmith")
    [asked] = human.asked
    assert asked.mode == "url"
    assert asked.url.startswith(f"{stack.page_url}/approve/apr_")
    if era == "legacy":  # 2026-07-28 dropped elicitationId from URL elicitation
        assert asked.elicitation_id is not None
        assert asked.url.endswith(f"/approve/{asked.elicitation_id}")
    assert "https://linkedin.com/in/johnsmith" in human.pages[0].text
    assert result["status"] == "deleted"
    assert "approved on the approval page" in result["message"]
    assert result["approval_url"] is None  # the link went to the human, not into the result
    outcomes = [line["outcome"] for line in stack.audit_lines()]
    assert outcomes.count("deleted") == 1
    assert stack.audit_lines()[-1]["confirmed_by"] == "approved on the approval page"


async def test_the_human_declines_on_the_page_and_nothing_is_deleted(
    make_stack: StackFactory, era: str
) -> None:
    async with make_stack(policy=PREFER_URL) as stack:
        result = await delete_through(stack, HumanAtTheLink("decline"), era)
        assert await on_list(stack, "in/johnsmith")
    assert result["status"] == "not_deleted"
    assert "declined" in result["message"]


async def test_a_human_who_will_not_open_the_page_deletes_nothing(
    make_stack: StackFactory, era: str
) -> None:
    async with make_stack(policy=PREFER_URL) as stack:
        result = await delete_through(stack, HumanAtTheLink("refuse"), era)
        assert await on_list(stack, "in/johnsmith")
    assert result["status"] == "not_deleted"
    assert stack.audit_lines()[-1]["outcome"] == (
        "not_deleted: the human would not open the approval page"
    )


async def test_without_the_preference_a_form_capable_client_gets_the_form(
    make_stack: StackFactory, era: str
) -> None:
    human = HumanAtTheLink("approve")
    async with make_stack() as stack:
        result = await delete_through(stack, human, era)
        assert await on_list(stack, "in/johnsmith")
    assert [params.mode for params in human.asked] == ["form"]
    assert result["status"] == "not_deleted"  # this human declines forms
