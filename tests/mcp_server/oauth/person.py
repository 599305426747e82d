"""A person at the consent page, as HTTP: open the authorization URL, read the form, answer.

It does what a browser does with the page (follows /authorize to the page, keeps its cookie,
posts the form with the page's own CSRF token and Origin) and nothing a browser would not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from mcp_server.oauth import ALL_SCOPES

REDIRECT_URI = "http://localhost:3030/callback"


@dataclass
class Answer:
    status: int  # of the form's POST
    location: str | None  # where it redirected (the client's redirect URI with code or error)
    page: str  # the page's HTML when it did not redirect
    headers: httpx.Headers

    @property
    def query(self) -> dict[str, str]:
        assert self.location is not None, self.page
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}


def form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found is not None, f"no {name} in the page"
    return unescape(found.group(1))


@dataclass
class Person:
    key: str
    scopes: Sequence[str] = ALL_SCOPES
    decision: str = "approve"
    pages: list[str] = field(default_factory=list)  # every consent page shown

    async def open(self, authorization_url: str) -> tuple[httpx.AsyncClient, str, str]:
        """A browser with the consent page loaded: (browser, page URL, HTML)."""
        browser = httpx.AsyncClient(timeout=30)
        response = await browser.get(authorization_url)
        assert response.status_code == 302, response.text
        page_url = urljoin(authorization_url, response.headers["location"])
        page = await browser.get(page_url)
        assert page.status_code == 200, page.text
        self.pages.append(page.text)
        return browser, page_url, page.text

    async def answer(self, authorization_url: str, **overrides: str) -> Answer:
        browser, page_url, page = await self.open(authorization_url)
        try:
            return await self.post(browser, page_url, page, **overrides)
        finally:
            await browser.aclose()

    async def post(
        self, browser: httpx.AsyncClient, page_url: str, page: str, **overrides: str
    ) -> Answer:
        parts = urlsplit(page_url)
        form: dict[str, str | list[str]] = {
            "request": form_value(page, "request"),
            "csrf": form_value(page, "csrf"),
            "api_key": self.key,
            "scope": list(self.scopes),
            "decision": self.decision,
            **overrides,
        }
        response = await browser.post(
            f"{parts.scheme}://{parts.netloc}{parts.path}",
            data=form,
            headers={"origin": f"{parts.scheme}://{parts.netloc}"},
        )
        location = response.headers.get("location") if response.status_code == 303 else None
        return Answer(response.status_code, location, response.text, response.headers)
