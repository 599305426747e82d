"""A hosted server's approval link alone deletes nothing: the approver signs in as a member of
the entry's team first, and the audit line names who approved, when and through which channel.

Real HTTP to the wiring of `dnc mcp --transport streamable-http` for many teams, in front of the
reference server with two teams; real MCP clients ask for the deletion.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from dnc_client.testing import FakeSleep, FrozenClock
from dnc_kit.fingerprints import key_fingerprint as approver_fingerprint
from mcp_server.config import McpConfig
from mcp_server.deletion.approval import COOKIE_NAME, Approval, SignIn, new_approval
from mcp_server.deletion.approval.signin import MAX_FAILURES
from mcp_server.embedded import Backend
from mcp_server.http_app import bind, build_http_app, serving
from mcp_server.runtime import hosted as is_hosted
from mcp_server.runtime import open_server
from mcp_server.tenancy import key_fingerprint
from mcp_server.testing import BASE_URL

from . import browser
from .hosting import KEY_A, KEY_B, Hosted, hosted, hosted_config, reference_api, team_client
from .test_multi_tenant import data

pytestmark = pytest.mark.anyio
VICTIM = "in/only-team-a-may-remove"
ENTRY_URL = "https://linkedin.com/in/only-team-a-may-remove"


@dataclass
class Pending:
    hosting: Hosted
    link: str
    entry_id: str
    secret: str  # the page's form secret, read from the store: what an attacker cannot see

    @property
    def approval_id(self) -> str:
        return self.link.rsplit("/", 1)[1]


@asynccontextmanager
async def pending_deletion(tmp_path: Path, **changes: Any) -> AsyncIterator[Pending]:
    """Team A's agent asks to delete an entry of team A's; the link waits for a human."""
    clock = FrozenClock()
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one", **changes), clock) as hosting,
        team_client(hosting.url, KEY_A) as a,
    ):
        entry = data(await a.call_tool("dnc_add", {"url": VICTIM}))["entry"]
        preview = data(await a.call_tool("dnc_delete", {"url": VICTIM}))
        assert preview["status"] == "approval_required"
        link: str = preview["approval_url"]
        approval = await hosting.running.approvals.store.get(link.rsplit("/", 1)[1])
        assert approval is not None
        yield Pending(hosting, link, entry["$id"], approval.secret)


async def on_list(pending: Pending) -> bool:
    async with team_client(pending.hosting.url, KEY_A) as a:
        listed: bool = data(await a.call_tool("dnc_check", {"url": VICTIM}))["onList"]
    return listed


def shows_nothing_deletable(page: browser.Page, pending: Pending) -> bool:
    return (
        not page.has_form
        and ENTRY_URL not in page.text
        and pending.entry_id not in page.text
        and pending.secret not in page.text
    )


async def test_a_link_opened_anonymously_shows_a_sign_in_and_nothing_deletable(
    tmp_path: Path,
) -> None:
    async with pending_deletion(tmp_path) as pending:
        page = await browser.open_page(pending.link)
        still = await on_list(pending)
    assert page.status == 200
    assert 'type="password" name="api_key"' in page.text
    assert shows_nothing_deletable(page, pending)
    assert still


async def test_an_anonymous_post_with_the_right_secret_is_refused(tmp_path: Path) -> None:
    async with pending_deletion(tmp_path) as pending:
        approved = await browser.submit(pending.link, "approve", pending.secret)
        declined = await browser.submit(pending.link, "decline", pending.secret)
        forged = await browser.submit(
            pending.link, "approve", pending.secret, cookie=f"{COOKIE_NAME}=forged.value"
        )
        still = await on_list(pending)
        lines = pending.hosting.audit_lines()
    assert (approved.status, declined.status, forged.status) == (403, 403, 403)
    assert "Sign in" in approved.text
    assert still
    assert [line["outcome"] for line in lines][-1] == "approval_requested"


@pytest.mark.parametrize(
    "key",
    [KEY_B, "sk_live_not_a_key_of_any_team_0000", "", f"{KEY_A}\r\nX-Injected: 1", "k" * 600],
)
async def test_another_teams_key_or_a_junk_key_cannot_sign_in_or_approve(
    tmp_path: Path, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with pending_deletion(tmp_path) as pending:
        signed = await browser.sign_in(pending.link, key)
        page = await browser.open_page(pending.link, cookie=signed.cookie or "")
        posted = await browser.submit(pending.link, "approve", pending.secret, cookie=signed.cookie)
        still = await on_list(pending)
    assert signed.status == 403
    assert signed.cookie is None
    assert "could not sign you in" in signed.text
    assert shows_nothing_deletable(page, pending)
    assert posted.status == 403
    assert still
    if key:
        assert key not in caplog.text  # a presented key is never logged
        assert key not in pending.hosting.config.audit_path.read_text()


async def test_team_b_signed_in_for_its_own_request_cannot_approve_team_as(
    tmp_path: Path,
) -> None:
    async with pending_deletion(tmp_path) as pending:
        async with team_client(pending.hosting.url, KEY_B) as b:
            data(await b.call_tool("dnc_add", {"url": VICTIM}))
            own = data(await b.call_tool("dnc_delete", {"url": VICTIM}))["approval_url"]
        signed = await browser.sign_in(own, KEY_B)
        crossed = await browser.submit(
            pending.link, "approve", pending.secret, cookie=signed.cookie
        )
        shown = await browser.open_page(pending.link, cookie=signed.cookie or "")
        still = await on_list(pending)
    assert signed.status == 303
    assert crossed.status == 403  # the cookie is bound to team B's own approval
    assert shows_nothing_deletable(shown, pending)
    assert still


async def test_failed_sign_ins_are_limited_even_for_the_right_key_afterwards(
    tmp_path: Path,
) -> None:
    async with pending_deletion(tmp_path) as pending:
        failures = [
            (await browser.sign_in(pending.link, f"sk_live_guess_{n:04d}")).status
            for n in range(MAX_FAILURES)
        ]
        blocked = await browser.sign_in(pending.link, KEY_A)
        still = await on_list(pending)
    assert failures == [403] * MAX_FAILURES
    assert blocked.status == 429
    assert blocked.cookie is None
    assert still


async def test_a_member_signs_in_approves_once_and_the_audit_names_the_approver(
    tmp_path: Path,
) -> None:
    async with pending_deletion(tmp_path) as pending:
        signed = await browser.sign_in(pending.link, KEY_A)
        page = await browser.open_page(pending.link, cookie=signed.cookie or "")
        typed = page.username_asked
        approved = await browser.submit(
            pending.link, "approve", page.secret, cookie=signed.cookie, username=typed
        )
        replayed = await browser.submit(
            pending.link, "approve", page.secret, cookie=signed.cookie, username=typed
        )
        gone = not await on_list(pending)
        lines = pending.hosting.audit_lines()
    assert signed.status == 303
    assert urlsplit(signed.headers["location"]).path == urlsplit(pending.link).path
    attributes = signed.set_cookie.split("; ")
    assert f"Path={urlsplit(pending.link).path}" in attributes  # this approval's page only
    cookie = [attribute.lower() for attribute in attributes]
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http on loopback
    assert KEY_A not in signed.set_cookie
    assert ENTRY_URL in page.text
    assert pending.entry_id in page.text
    assert typed == "only-team-a-may-remove"
    assert approved.status == 200
    assert "deleted" in approved.text
    assert replayed.status == 409
    assert gone
    [deleted] = [line for line in lines if line["outcome"] == "deleted"]
    assert deleted["approver"] == approver_fingerprint(KEY_A)
    assert deleted["channel"] == "page"
    assert deleted["confirmed_by"] == "approved on the approval page"
    assert deleted["approved_at"].endswith("Z")
    assert deleted["key_fingerprint"] == key_fingerprint(KEY_A)  # who asked
    assert deleted["team"] == "team_a"
    assert KEY_A not in pending.hosting.config.audit_path.read_text()


@pytest.mark.parametrize("typed", [None, "", "someone-else", "only-team-a-may"])
async def test_a_signed_in_member_must_type_the_username_back_to_approve(
    tmp_path: Path, typed: str | None
) -> None:
    async with pending_deletion(tmp_path) as pending:
        signed = await browser.sign_in(pending.link, KEY_A)
        page = await browser.open_page(pending.link, cookie=signed.cookie or "")
        refused = await browser.submit(
            pending.link, "approve", page.secret, cookie=signed.cookie, username=typed
        )
        still = await on_list(pending)
        shouted = await browser.submit(
            pending.link,
            "approve",
            page.secret,
            cookie=signed.cookie,
            username=" ONLY-TEAM-A-MAY-REMOVE ",
        )
        gone = not await on_list(pending)
    assert 'name="username"' in page.text
    assert refused.status == 400
    assert "nothing was deleted" in refused.text
    assert still
    assert shouted.status == 200  # case and surrounding spaces do not matter
    assert gone


async def test_a_decline_after_sign_in_names_the_approver_too(tmp_path: Path) -> None:
    async with pending_deletion(tmp_path) as pending:
        signed = await browser.sign_in(pending.link, KEY_A)
        page = await browser.open_page(pending.link, cookie=signed.cookie or "")
        declined = await browser.submit(pending.link, "decline", page.secret, cookie=signed.cookie)
        still = await on_list(pending)
        last = pending.hosting.audit_lines()[-1]
    assert declined.status == 200
    assert still
    assert last["outcome"] == "not_deleted: declined on the approval page"
    assert last["approver"] == approver_fingerprint(KEY_A)


async def test_the_cookie_is_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    public = {
        "public_url": "https://mcp.example.com",
        "allowed_hosts": ("mcp.example.com",),
    }
    async with pending_deletion(tmp_path, **public) as pending:
        assert pending.link.startswith("https://mcp.example.com/approve/apr_")
        local = f"{pending.hosting.base_url}{urlsplit(pending.link).path}"
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{local}/sign-in",
                content=f"api_key={KEY_A}",
                headers={
                    "host": "mcp.example.com",
                    "origin": "https://mcp.example.com",
                    "content-type": "application/x-www-form-urlencoded",
                },
            )
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower().split("; ")


async def test_a_cookie_cannot_be_forged_or_moved_to_another_approval() -> None:
    clock = FrozenClock()

    async def member(key: str, approval: Approval) -> str | None:
        return "key_member" if key == "right" else None

    sign_in = SignIn(check_member=member, clock=clock, secret="s" * 40)
    pending = await _approval_for_cookie_tests(clock)
    session = await sign_in.attempt("right", pending, "127.0.0.1")
    assert session is not None
    value = sign_in.cookie_value(session)
    assert sign_in.session_from(value, pending.id) == session
    assert sign_in.session_from(value, "apr_another") is None
    payload, mac = value.split(".")
    assert sign_in.session_from(f"{payload}.{mac[:-2]}AA", pending.id) is None
    other_secret = SignIn(check_member=member, clock=clock, secret="t" * 40)
    assert other_secret.session_from(value, pending.id) is None  # another server's secret
    clock.advance(601)
    assert sign_in.session_from(value, pending.id) is None  # short-lived


async def test_a_stranger_with_the_link_cannot_lock_the_real_approver_out() -> None:
    clock = FrozenClock()
    sent_upstream: list[str] = []

    async def member(key: str, approval: Approval) -> str | None:
        sent_upstream.append(key)
        return "key_member" if key == "right" else None

    sign_in = SignIn(check_member=member, clock=clock, secret="s" * 40)
    pending = await _approval_for_cookie_tests(clock)
    for n in range(MAX_FAILURES):
        assert await sign_in.attempt(f"sk_guess_{n:04d}", pending, "203.0.113.9") is None
    assert sign_in.blocked(pending.id, "203.0.113.9")
    assert not sign_in.blocked(pending.id, "198.51.100.7")
    assert await sign_in.attempt("right", pending, "198.51.100.7") is not None
    assert "right" in sent_upstream


async def _approval_for_cookie_tests(clock: FrozenClock) -> Approval:
    return new_approval(
        entry_id="dnc_abc",
        url=ENTRY_URL,
        entry_created_at=None,
        team="team_a",
        key_fingerprint="fp_x",
        now=clock(),
        ttl_s=600,
    )


@pytest.mark.parametrize(
    ("changes", "signs_in"),
    [
        ({}, False),  # stdio: a link alone approves, on loopback only
        ({"transport": "streamable-http", "api_key": "k"}, False),  # one team on loopback
        ({"transport": "streamable-http", "api_key": None}, True),  # many teams
        ({"transport": "streamable-http", "api_key": "k", "host": "0.0.0.0"}, True),
        ({"transport": "streamable-http", "api_key": "k", "host": "::1"}, False),
        # One team on loopback behind a reverse proxy that serves it to the world.
        (
            {
                "transport": "streamable-http",
                "api_key": "k",
                "public_url": "https://mcp.example.com",
            },
            True,
        ),
        (
            {"transport": "streamable-http", "api_key": "k", "allowed_hosts": ("mcp.example.com",)},
            True,
        ),
        (
            {
                "transport": "streamable-http",
                "api_key": "k",
                "public_url": "http://127.0.0.1:8000",
                "allowed_hosts": ("localhost:8000", "127.0.0.1:8000", "[::1]:8000"),
            },
            False,
        ),
    ],
)
def test_the_approver_signs_in_exactly_on_hosted_servers(
    tmp_path: Path, changes: dict[str, Any], signs_in: bool
) -> None:
    config = McpConfig(
        base_url="https://api.example.com/v1",
        api_key="k",
        data_dir=tmp_path,
        audit_path=tmp_path / "audit.jsonl",
    )
    assert is_hosted(replace(config, **changes)) is signs_in


@asynccontextmanager
async def single_team_server(api: Any, config: McpConfig, clock: FrozenClock) -> AsyncIterator[str]:
    """`dnc mcp --transport streamable-http` for team A alone, served on loopback here."""
    backend = Backend(
        base_url=BASE_URL,
        api_key=KEY_A,
        transport=httpx.ASGITransport(app=api),
        description="reference server in-process",
    )
    async with open_server(config, clock=clock, sleep=FakeSleep(clock), backend=backend) as running:
        sock = bind("127.0.0.1", 0)
        port: int = sock.getsockname()[1]
        async with serving(build_http_app(running, config, port), sock):
            yield f"http://127.0.0.1:{port}"


async def test_a_single_team_server_bound_off_loopback_also_asks_for_sign_in(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    off_loopback = hosted_config(
        tmp_path,
        "one",
        api_key=KEY_A,
        host="0.0.0.0",
        allowed_hosts=("127.0.0.1:*",),
        allowed_origins=("http://127.0.0.1:*",),
    )
    async with (
        reference_api(tmp_path, clock) as api,
        single_team_server(api, off_loopback, clock) as base_url,
        team_client(f"{base_url}/mcp", KEY_A) as a,
    ):
        data(await a.call_tool("dnc_add", {"url": VICTIM}))
        preview = data(await a.call_tool("dnc_delete", {"url": VICTIM}))
        link = f"{base_url}{urlsplit(preview['approval_url']).path}"
        anonymous = await browser.open_page(link)
        stranger = await browser.sign_in(link, KEY_B)
        member = await browser.approve(link, key=KEY_A)
        gone = not data(await a.call_tool("dnc_check", {"url": VICTIM}))["onList"]
    assert 'name="api_key"' in anonymous.text
    assert not anonymous.has_form
    assert ENTRY_URL not in anonymous.text
    assert stranger.status == 403
    assert member.status == 200
    assert gone
    lines = [json.loads(line) for line in off_loopback.audit_path.read_text().splitlines()]
    [deleted] = [line for line in lines if line["outcome"] == "deleted"]
    assert deleted["approver"] == approver_fingerprint(KEY_A)
