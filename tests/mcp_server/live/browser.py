"""The human at a browser: opens an approval link, signs in where the server asks for it,
reads the page, submits its form.

Real HTTP to the page `dnc mcp` serves. A browser sends the page's own origin in `Origin`
when it posts the page's form, and the sign-in cookie (as the `cookie` argument here) to the
page's own path; the attacks in the tests change exactly one thing at a time.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import httpx

from mcp_server.deletion.approval import COOKIE_NAME
from mcp_server.deletion.approval.security import origin_of

_SECRET = re.compile(r'name="secret" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
_USERNAME = re.compile(r'<code class="username">([^<]+)</code>')


@dataclass(frozen=True)
class Page:
    status: int
    text: str
    headers: httpx.Headers

    @property
    def secret(self) -> str:
        found = _SECRET.search(self.text)
        assert found is not None, f"no form on the page: {self.text[:300]}"
        return html.unescape(found.group(1))

    @property
    def action(self) -> str:
        found = _ACTION.search(self.text)
        assert found is not None, "no form on the page"
        return html.unescape(found.group(1))

    @property
    def has_form(self) -> bool:
        return _SECRET.search(self.text) is not None

    @property
    def username_asked(self) -> str | None:
        """The username the page asks to type back before approving (hosted servers)."""
        found = _USERNAME.search(self.text)
        return html.unescape(found.group(1)) if found is not None else None


async def open_page(link: str, **headers: str) -> Page:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(link, headers=headers)
    return Page(response.status_code, response.text, response.headers)


async def submit(
    link: str,
    decision: str,
    secret: str | None,
    *,
    origin: str | None = "",
    host: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    sec_fetch_site: str | None = None,
    cookie: str | None = None,
    username: str | None = None,
) -> Page:
    """POST the page's form; `origin=""` means the page's own origin, None sends none."""
    headers = {"content-type": content_type} | ({"cookie": cookie} if cookie else {})
    if origin is not None:
        headers["origin"] = origin or origin_of(link)
    if host is not None:
        headers["host"] = host
    if sec_fetch_site is not None:
        headers["sec-fetch-site"] = sec_fetch_site
    fields = {"decision": decision} | ({"secret": secret} if secret is not None else {})
    fields |= {"username": username} if username is not None else {}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(link, content=urlencode(fields), headers=headers)
    return Page(response.status_code, response.text, response.headers)


@dataclass(frozen=True)
class SignedIn:
    """The answer to a sign-in, and the cookie a browser would send to the page from then on."""

    status: int
    text: str
    headers: httpx.Headers
    cookie: str | None  # `name=value`, as a `cookie` request header

    @property
    def set_cookie(self) -> str:
        value: str = self.headers.get("set-cookie", "")
        return value


async def sign_in(link: str, key: str, *, origin: str | None = "") -> SignedIn:
    """POST the sign-in form of a hosted server's approval page with a team key."""
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if origin is not None:
        headers["origin"] = origin or origin_of(link)
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{link}/sign-in", content=urlencode({"api_key": key}), headers=headers
        )
    value = response.cookies.get(COOKIE_NAME)
    cookie = f"{COOKIE_NAME}={value}" if value else None
    return SignedIn(response.status_code, response.text, response.headers, cookie)


async def approve(link: str, *, key: str | None = None, cookie: str | None = None) -> Page:
    """What a person does: open the link, sign in if asked (with `key`), read, type the
    username back if asked, press Approve."""
    if key is not None:
        signed = await sign_in(link, key)
        assert signed.status == 303, signed.text
        cookie = signed.cookie
    page = await open_page(link, **({"cookie": cookie} if cookie else {}))
    assert page.status == 200, page.text
    assert urlsplit(page.action).path == urlsplit(link).path
    return await submit(link, "approve", page.secret, cookie=cookie, username=page.username_asked)


async def decline(link: str) -> Page:
    page = await open_page(link)
    assert page.status == 200, page.text
    return await submit(link, "decline", page.secret)
