"""The hosted approval page in a real browser: headless Chromium, driven by selenium, opens the
link a team's agent was given, signs in with the team's key in the password field, types the
username back and approves, or declines; opened without signing in it shows nothing deletable.

A real multi-team `dnc mcp --transport streamable-http` process in front of a real `dnc serve`
process; a real MCP client asks for the deletion and checks the list afterwards. Every step
leaves a screenshot under test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .chromium import Browser, chromium
from .hosting import team_client
from .processes import HttpServer, http_server, reference_server
from .test_multi_tenant import data

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

KEY_A = "sk_live_browser_team_a_3c9e71d2b4"
KEY_B = "sk_live_browser_team_b_8f20a6e5c1"


@pytest.fixture(scope="module")
def hosted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One hosted `dnc mcp` for two teams in front of `dnc serve`, for this module's tests."""
    where = tmp_path_factory.mktemp("browser-approval")
    with (
        reference_server(where, {KEY_A: "team_a", KEY_B: "team_b"}) as api,
        http_server(where, env={"DNC_BASE_URL": api.base_url}) as server,
    ):
        yield server


@dataclass(frozen=True)
class Pending:
    link: str
    entry_id: str
    url: str


async def ask_to_delete(server: HttpServer, username: str) -> Pending:
    """Team A's agent adds a profile, then asks to delete it: a link waits for a human."""
    async with team_client(server.url, KEY_A) as agent:
        entry = data(await agent.call_tool("dnc_add", {"url": f"in/{username}"}))["entry"]
        asked = data(await agent.call_tool("dnc_delete", {"url": f"in/{username}"}))
    assert asked["status"] == "approval_required", asked
    return Pending(asked["approval_url"], entry["$id"], entry["url"])


async def on_list(server: HttpServer, url: str) -> bool:
    async with team_client(server.url, KEY_A) as agent:
        listed: bool = data(await agent.call_tool("dnc_check", {"url": url}))["onList"]
    return listed


def sign_in(browser: Browser, pending: Pending, key: str) -> None:
    browser.open(pending.link)
    browser.wait_for_heading("Sign in")
    field = browser.find('input[name="api_key"]')
    assert field.get_attribute("type") == "password"
    browser.screenshot("sign-in-page")
    field.send_keys(key)
    browser.press('form button[type="submit"]')
    browser.wait_for_heading("Remove from the Do-Not-Contact list?")
    browser.screenshot("signed-in-approval-page")


async def test_a_person_signed_in_with_the_team_key_types_the_username_and_approves_in_chromium(
    hosted_server: HttpServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pending = await ask_to_delete(hosted_server, "approved-in-a-browser")
    with chromium(tmp_path, request) as browser:
        sign_in(browser, pending, KEY_A)
        assert pending.url in browser.text()
        assert pending.entry_id in browser.text()
        asked = browser.find("code.username").text
        assert asked == "approved-in-a-browser"
        browser.find('input[name="username"]').send_keys(asked)
        browser.screenshot("username-typed-back")
        browser.press('button[value="approve"]')
        browser.wait_for_heading("Do-Not-Contact removal request")
        browser.screenshot("approved")
        outcome = browser.text()
    assert "Approved and deleted" in outcome
    assert not await on_list(hosted_server, pending.url)


async def test_declining_in_chromium_keeps_the_entry_on_the_list(
    hosted_server: HttpServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pending = await ask_to_delete(hosted_server, "declined-in-a-browser")
    with chromium(tmp_path, request) as browser:
        sign_in(browser, pending, KEY_A)
        # Declining needs no typed-back username (the button skips the form's validation).
        browser.press('button[value="decline"]')
        browser.wait_for_heading("Do-Not-Contact removal request")
        browser.screenshot("declined")
        outcome = browser.text()
        browser.open(pending.link)
        browser.wait_for_heading("Do-Not-Contact removal request")
        reopened = browser.text()
        approvable = browser.all('button[value="approve"]')
    assert "Declined: nothing was deleted" in outcome
    assert "Declined" in reopened
    assert not approvable
    assert await on_list(hosted_server, pending.url)


async def test_a_link_opened_in_chromium_without_signing_in_shows_nothing_deletable(
    hosted_server: HttpServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pending = await ask_to_delete(hosted_server, "seen-anonymously")
    with chromium(tmp_path, request) as browser:
        browser.open(pending.link)
        browser.wait_for_heading("Sign in")
        browser.screenshot("anonymous")
        source = browser.source()
        buttons = [b.get_attribute("value") for b in browser.all("button")]
        browser.find('input[name="api_key"]').send_keys(KEY_B)
        browser.press('form button[type="submit"]')
        browser.wait_for_heading("Sign in")
        browser.screenshot("other-team-refused")
        after_other_team = browser.source()
    for page in (source, after_other_team):
        assert pending.url not in page
        assert pending.entry_id not in page
        assert 'name="secret"' not in page
    assert "approve" not in buttons
    assert "could not sign you in" in after_other_team
    assert await on_list(hosted_server, pending.url)
