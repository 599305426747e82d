"""The OAuth consent page in a real browser: an OAuth-only host (the SDK's own
`OAuthClientProvider`) sends a person to `dnc mcp --oauth`; headless Chromium, driven by
selenium, reads who asks, leaves only `dnc:read` ticked, signs in with the team's key in the
password field and allows, and the host then sees only the read tools; another person denies,
and the host gets `access_denied` and no token.

Real processes: `dnc mcp --oauth` for many teams in front of `dnc serve`. Every step leaves a
screenshot under test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from selenium.webdriver.support.wait import WebDriverWait

from tests.mcp_server.oauth.client import Agent
from tests.mcp_server.oauth.hosting import SECRET
from tests.mcp_server.oauth.person import REDIRECT_URI, Answer, Person

from .chromium import Browser, chromium
from .processes import HttpServer, http_server, reference_server

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

KEY_A = "sk_live_consent_browser_team_a_7d1c5e9a20"
KEYS = {KEY_A: "team_a", "sk_live_consent_browser_team_b_e64b0f2c93": "team_b"}
READ_TOOLS = {"dnc_check", "dnc_check_many", "dnc_list"}


@pytest.fixture(scope="module")
def oauth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    where = tmp_path_factory.mktemp("browser-consent")
    with reference_server(where, KEYS) as api:
        env = {"DNC_MCP_OAUTH_SECRET": SECRET, "DNC_BASE_URL": api.base_url}
        with http_server(where, ["--oauth"], env) as server:
            yield server


class AccessDenied(Exception):
    """The browser was sent back to the host with `error=access_denied`: no code to redeem."""


@dataclass
class PersonAtChromium(Person):
    """Answers the consent page in Chromium: reads it, ticks `scopes`, types the key, presses
    Allow or Deny; the host learns the outcome from where the browser was sent."""

    browser: Browser | None = None
    seen: dict[str, str] = field(default_factory=dict)

    async def answer(self, authorization_url: str, **overrides: str) -> Answer:
        browser = self.browser
        assert browser is not None
        browser.open(authorization_url)
        browser.wait_for_heading("Allow access to your DNC list?")
        self.seen = {
            "client": browser.find("#client-name").text,
            "redirect": browser.find("#redirect-host").text,
            "key field": browser.find("#api-key").get_attribute("type") or "",
        }
        self.pages.append(browser.source())
        browser.screenshot("consent-page")
        for box in browser.all('input[name="scope"]'):
            if box.is_selected() != (box.get_attribute("value") in self.scopes):
                box.click()
        browser.find("#api-key").send_keys(self.key)
        browser.screenshot(f"before-{self.decision}")
        browser.find("#approve" if self.decision == "approve" else "#decline").click()
        # The answer goes to the host's redirect URI (nothing listens there in this test: the
        # browser shows its own error page, and the URL carries the code or the error).
        WebDriverWait(browser.driver, 15).until(lambda d: d.current_url.startswith(REDIRECT_URI))
        browser.screenshot(f"sent-back-after-{self.decision}")
        sent_back = browser.driver.current_url
        if parse_qs(urlsplit(sent_back).query).get("error") == ["access_denied"]:
            raise AccessDenied(sent_back)
        return Answer(303, sent_back, "", httpx.Headers())


async def test_a_person_allows_read_only_access_in_chromium_and_the_host_sees_only_read_tools(
    oauth_server: HttpServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with chromium(tmp_path, request) as browser:
        person = PersonAtChromium(KEY_A, scopes=["dnc:read"], browser=browser)
        agent = Agent(person)
        async with agent.connect(oauth_server.url) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            checked = await client.call_tool("dnc_check", {"url": "in/consented-in-chromium"})
    assert person.seen == {
        "client": "Test agent host",
        "redirect": "localhost:3030",
        "key field": "password",
    }
    assert KEY_A not in person.pages[0]
    assert agent.authorizations == 1
    assert agent.storage.tokens is not None
    assert agent.storage.tokens.access_token != KEY_A
    assert tools == READ_TOOLS
    assert checked.structured_content == {"onList": False, "entry": None}


async def test_a_person_denies_in_chromium_and_the_host_gets_access_denied_and_no_token(
    oauth_server: HttpServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with chromium(tmp_path, request) as browser:
        person = PersonAtChromium(KEY_A, decision="decline", browser=browser)
        agent = Agent(person)
        with pytest.raises(ExceptionGroup) as refused:
            async with agent.connect(oauth_server.url):
                pass
        sent_back = browser.driver.current_url
    query = parse_qs(urlsplit(sent_back).query)
    assert query["error"] == ["access_denied"]
    assert "code" not in query
    assert agent.storage.tokens is None
    assert refused.group_contains(AccessDenied)
