"""The consent page as a person (and a hostile page) meets it: who asks and for what, a
password field for the team key, CSRF and clickjacking defences, and no key echoed anywhere."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from .flow import Flow, pkce
from .hosting import KEY_A, oauth_server
from .person import Person, form_value

pytestmark = pytest.mark.anyio


async def test_the_page_names_the_client_its_redirect_host_and_the_scopes_asked_for(
    tmp_path: Path,
) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register(client_name="Claude <b>Desktop</b>")
        person = Person(KEY_A)
        browser, _, page = await person.open(
            flow.authorization_url(pkce()[1], scope="dnc:read dnc:write")
        )
        headers = (await browser.get(f"{hosting.base_url}/oauth/consent?request=nope")).headers
        await browser.aclose()
    assert 'id="client-name">Claude &lt;b&gt;Desktop&lt;/b&gt;</dd>' in page
    assert 'id="redirect-host">localhost:3030</dd>' in page
    assert 'id="scope-dnc-read"' in page
    assert 'id="scope-dnc-write"' in page
    assert 'id="scope-dnc-delete"' not in page  # not asked for, not offered
    assert '<input type="password" name="api_key" id="api-key"' in page
    assert 'id="approve"' in page
    assert 'id="decline"' in page
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


async def test_declining_sends_the_client_access_denied_and_no_code(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        answer = await Person("", decision="decline").answer(flow.authorization_url(pkce()[1]))
    assert answer.status == 303
    assert answer.query["error"] == "access_denied"
    assert answer.query["state"] == "state-123"
    assert "code" not in answer.query


async def test_a_wrong_key_is_refused_on_the_page_without_echoing_it_and_five_end_the_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-a-team-key-but-a-secret-anyway"
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        person = Person(wrong)
        browser, page_url, page = await person.open(flow.authorization_url(pkce()[1]))
        answers = [await person.post(browser, page_url, page) for _ in range(5)]
        after = await Person(KEY_A).post(browser, page_url, page)
        await browser.aclose()
    assert [a.status for a in answers[:4]] == [403, 403, 403, 403]
    assert 'id="error"' in answers[0].page
    assert all(wrong not in a.page for a in answers)
    assert "Too many" in answers[4].page
    assert after.status == 404  # the request is gone: start again from the application
    assert wrong not in caplog.text


async def test_a_post_without_the_page_cookie_or_from_another_site_is_refused(
    tmp_path: Path,
) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        person = Person(KEY_A)
        browser, page_url, page = await person.open(flow.authorization_url(pkce()[1]))
        fields = {
            "request": form_value(page, "request"),
            "csrf": form_value(page, "csrf"),
            "api_key": KEY_A,
            "scope": "dnc:read",
            "decision": "approve",
        }
        no_cookie = await http.post(page_url.split("?")[0], data=fields)
        foreign = await browser.post(
            page_url.split("?")[0], data=fields, headers={"origin": "https://evil.example"}
        )
        wrong_csrf = await browser.post(page_url.split("?")[0], data={**fields, "csrf": "x"})
        still_fine = await person.post(browser, page_url, page)
        await browser.aclose()
    assert no_cookie.status_code == 403
    assert foreign.status_code == 403
    assert wrong_csrf.status_code == 403
    assert still_fine.status == 303
    assert "code" in still_fine.query
    # The browser must be let through to the client's redirect after the POST.
    assert (
        "form-action 'self' http://localhost:3030" in still_fine.headers["content-security-policy"]
    )


async def test_approving_without_any_scope_ticked_asks_again(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        answer = await Person(KEY_A, scopes=[]).answer(flow.authorization_url(pkce()[1]))
    assert answer.status == 400
    assert "at least one" in answer.page


async def test_an_authorization_request_for_another_resource_is_refused(tmp_path: Path) -> None:
    async with oauth_server(tmp_path) as hosting, httpx.AsyncClient() as http:
        flow = Flow(http, hosting.base_url)
        await flow.register()
        response = await http.get(
            flow.authorization_url(pkce()[1], resource="https://elsewhere.example/mcp")
        )
    assert response.status_code == 302
    assert "error=invalid_target" in response.headers["location"]
