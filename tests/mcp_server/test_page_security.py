"""The approval page's checks as pure functions, and its HTML escaping."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mcp_server.deletion.approval import new_approval
from mcp_server.deletion.approval.model import profile_username
from mcp_server.deletion.approval.page import approval_page, status_page
from mcp_server.deletion.approval.security import (
    check_post,
    host_allowed,
    origin_allowed,
    origin_of,
    secrets_match,
)

HOSTS = ("127.0.0.1:8000", "localhost:8000", "mcp.example.com")
ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000", "https://mcp.example.com")
GOOD = {
    "host": "127.0.0.1:8000",
    "origin": "http://127.0.0.1:8000",
    "content-type": "application/x-www-form-urlencoded",
    "content-length": "60",
}


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("MCP.EXAMPLE.COM", True),
        ("127.0.0.1:8001", False),
        ("127.0.0.1", False),
        ("evil.example", False),
        ("mcp.example.com.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_only_this_servers_own_host_names_are_answered(host: str | None, allowed: bool) -> None:
    assert host_allowed(host, HOSTS) is allowed


def test_a_port_wildcard_matches_digits_only() -> None:
    assert host_allowed("localhost:55123", ["localhost:*"])
    assert not host_allowed("localhost:x@evil", ["localhost:*"])
    assert not host_allowed("localhost", ["localhost:*"])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8000", True),
        ("https://mcp.example.com", True),
        ("http://mcp.example.com", False),  # another scheme is another origin
        ("null", False),
        ("", False),
        (None, False),
        ("http://127.0.0.1:8000.evil.example", False),
    ],
)
def test_only_the_pages_own_origin_may_post(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, ORIGINS) is allowed


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({}, None),
        ({"host": "evil.example"}, 421),
        ({"origin": "http://evil.example"}, 403),
        ({"origin": None}, None),  # not a browser's cross-site request: the secret decides
        ({"origin": None, "sec-fetch-site": "cross-site"}, 403),
        ({"sec-fetch-site": "same-origin"}, None),
        ({"origin": "null"}, 403),
        ({"content-type": "application/json"}, 415),
        ({"content-type": "multipart/form-data; boundary=x"}, 415),
        ({"content-length": "999999"}, 413),
        ({"content-length": "-1"}, 413),
        ({"content-type": "application/x-www-form-urlencoded; charset=utf-8"}, None),
    ],
)
def test_a_post_is_checked_for_host_origin_encoding_and_size(
    change: dict[str, str | None], status: int | None
) -> None:
    headers = {k: v for k, v in (GOOD | change).items() if v is not None}
    refused = check_post(headers, allowed_hosts=HOSTS, allowed_origins=ORIGINS)
    assert (refused.status if refused else None) == status


def test_origin_of_a_link_is_what_a_browser_sends() -> None:
    assert origin_of("http://127.0.0.1:8000/approve/apr_x?y=1") == "http://127.0.0.1:8000"
    assert origin_of("https://MCP.example.com/approve/apr_x") == "https://mcp.example.com"


def test_secrets_are_compared_whole() -> None:
    assert secrets_match("abc", "abc")
    assert not secrets_match("ab", "abc")
    assert not secrets_match(None, "abc")


def test_the_page_escapes_everything_it_shows() -> None:
    hostile = new_approval(
        entry_id="dnc_abc",
        url='https://linkedin.com/in/"><script>alert(1)</script>',
        entry_created_at="<b>now</b>",
        team="<i>team</i>",
        key_fingerprint="fp_x",
        now=0.0,
        ttl_s=60,
    )
    for html in (
        approval_page(hostile, "/approve/x"),
        status_page(replace(hostile, status="deleted")),
    ):
        assert "<script>" not in html
        assert "<b>now</b>" not in html
        assert "&lt;script&gt;" in html
    assert hostile.secret in approval_page(hostile, "/approve/x")
    assert hostile.secret not in status_page(replace(hostile, status="declined"))


@pytest.mark.parametrize(
    ("url", "username"),
    [
        ("https://linkedin.com/in/johnsmith", "johnsmith"),
        ("https://linkedin.com/in/j%C3%B6rg/", "jörg"),
        ("https://linkedin.com/company/acme", None),
        ("https://linkedin.com/in/", None),
        (None, None),
    ],
)
def test_the_username_to_type_back_is_the_profiles(url: str | None, username: str | None) -> None:
    assert profile_username(url) == username


def test_only_hosted_pages_ask_for_the_username_and_decline_needs_none() -> None:
    approval = new_approval(
        entry_id="dnc_abc",
        url='https://linkedin.com/in/"><b>x',
        entry_created_at=None,
        team="team_a",
        key_fingerprint="fp_x",
        now=0.0,
        ttl_s=60,
    )
    hosted = approval_page(approval, "/approve/x", type_back=True)
    assert 'name="username"' in hosted
    assert '<code class="username">&quot;&gt;&lt;b&gt;x</code>' in hosted
    assert 'value="decline" formnovalidate' in hosted
    assert 'name="username"' not in approval_page(approval, "/approve/x")
