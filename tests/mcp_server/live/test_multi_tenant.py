"""One HTTP server, many teams: each request brings its team's key and acts with it alone.

Real HTTP to the wiring of `dnc mcp --transport streamable-http` without DNC_API_KEY, in front
of the reference server with two teams; real MCP clients (the Python SDK) in both eras.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp.types import CallToolResult
from starlette.types import ASGIApp, Receive, Scope, Send

from dnc_client.testing import FakeSleep, FrozenClock
from mcp_server.tenancy import ApiFactory, RequestScopedApi, key_fingerprint

from . import browser
from .hosting import KEY_A, KEY_B, hosted, hosted_config, reference_api, team_client

pytestmark = pytest.mark.anyio
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture(params=["auto", "legacy"])
def era(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


def open_sessions(hosting: Any) -> int:
    """Sessions in the SDK's own table (its count is not public; this is a measurement)."""
    return len(hosting.running.server.session_manager._server_instances)


def factory_of(hosting: Any) -> ApiFactory:
    api = hosting.running.deps.api
    assert isinstance(api, RequestScopedApi)
    return api.factory


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer two words", "Token abc"]
)
async def test_a_request_without_a_team_key_is_refused_with_401(
    tmp_path: Path, authorization: str | None
) -> None:
    clock = FrozenClock()
    headers = dict(MCP_HEADERS) | ({"authorization": authorization} if authorization else {})
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
        httpx.AsyncClient() as http,
    ):
        refused = await http.post(hosting.url, json=INITIALIZE, headers=headers)
        stream = await http.get(hosting.url, headers={"accept": "text/event-stream"})
        page = await http.get(f"{hosting.base_url}/approve/apr_unknown")
    for response in (refused, stream):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthorized"
    assert page.status_code == 404  # the human's page needs no key: its own form is the check


async def test_two_teams_on_one_server_each_see_only_their_own_list(
    tmp_path: Path, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FrozenClock()
    dumps: list[str] = []
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
    ):
        async with (
            team_client(hosting.url, KEY_A, mode=era) as a,
            team_client(hosting.url, KEY_B, mode=era) as b,
        ):
            calls = [
                (a, "dnc_add", {"url": "in/alice-of-a", "reason": "stop"}),
                (b, "dnc_check", {"url": "in/alice-of-a"}),
                (b, "dnc_add", {"url": "in/bob-of-b"}),
                (a, "dnc_list", {}),
                (b, "dnc_list", {}),
                (a, "dnc_check", {"url": "in/bob-of-b"}),
            ]
            results = []
            for client, tool, arguments in calls:
                result = await client.call_tool(tool, arguments)
                dumps.append(result.model_dump_json())
                results.append(data(result))
            b_entry = results[2]["entry"]
            stolen = await a.call_tool("dnc_delete", {"entry_id": b_entry["$id"]})
            dumps.append(stolen.model_dump_json())
        paced = factory_of(hosting).paced_keys
    added_a, b_checks_a, _, a_lists, b_lists, a_checks_b = results
    assert added_a["entry"]["teamId"] == "team_a"
    assert b_entry["teamId"] == "team_b"
    assert b_checks_a == {"onList": False, "entry": None}
    assert a_checks_b == {"onList": False, "entry": None}
    assert [e["url"] for e in a_lists["entries"]] == ["https://linkedin.com/in/alice-of-a"]
    assert [e["url"] for e in b_lists["entries"]] == ["https://linkedin.com/in/bob-of-b"]
    assert stolen.is_error
    assert paced == 2  # one pacing budget per key
    lines = hosting.audit_lines()
    assert {(line["team"], line["key_fingerprint"]) for line in lines} == {
        ("team_a", key_fingerprint(KEY_A)),
        ("team_b", key_fingerprint(KEY_B)),
    }
    everything = "\n".join([*dumps, hosting.config.audit_path.read_text(), caplog.text])
    for key in (KEY_A, KEY_B):
        assert key not in everything


async def test_a_session_opened_with_one_key_is_refused_to_another(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
        httpx.AsyncClient() as http,
    ):
        opened = await http.post(
            hosting.url,
            json=INITIALIZE,
            headers=MCP_HEADERS | {"authorization": f"Bearer {KEY_A}"},
        )
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        common = MCP_HEADERS | {"mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
        hijack = await http.post(
            hosting.url, json=listing, headers=common | {"authorization": f"Bearer {KEY_B}"}
        )
    assert opened.status_code == 200
    assert hijack.status_code == 404


async def test_a_key_the_api_rejects_gets_401_before_any_session_and_is_not_echoed(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    wrong = "sk_live_not_a_real_team_key_5e5e5e"
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
        httpx.AsyncClient() as http,
    ):
        headers = MCP_HEADERS | {"authorization": f"Bearer {wrong}"}
        refused = [await http.post(hosting.url, json=INITIALIZE, headers=headers) for _ in range(3)]
        sessions = open_sessions(hosting)
    for response in refused:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="dnc-mcp"'
        assert wrong not in response.text
    assert sessions == 0


async def test_each_key_is_paced_on_its_own_budget(tmp_path: Path) -> None:
    clock = FrozenClock()
    sleep = FakeSleep(clock)
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one"), clock, sleep) as hosting,
        team_client(hosting.url, KEY_A) as a,
        team_client(hosting.url, KEY_B) as b,
    ):
        for i in range(10):  # team_a spends its whole batch budget (10 per window)
            data(await a.call_tool("dnc_add_batch", {"urls": [f"in/a-{i}"]}))
        assert sleep.calls == []
        data(await b.call_tool("dnc_add_batch", {"urls": ["in/b-0"]}))
        assert sleep.calls == [], "team_b's budget is its own"
        data(await a.call_tool("dnc_add_batch", {"urls": ["in/a-10"]}))
    assert len(sleep.calls) == 1
    assert 55 <= sleep.calls[0] <= 60.1  # team_a waits for its window to roll


async def test_a_team_approves_a_deletion_on_the_page_with_its_key_held_only_in_memory(
    tmp_path: Path, era: str
) -> None:
    clock = FrozenClock()
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
        team_client(hosting.url, KEY_A, mode=era) as a,
        team_client(hosting.url, KEY_B, mode=era) as b,
    ):
        data(await a.call_tool("dnc_add", {"url": "in/same-person"}))
        data(await b.call_tool("dnc_add", {"url": "in/same-person"}))
        preview = data(await a.call_tool("dnc_delete", {"url": "in/same-person"}))
        vault = hosting.running.approvals.vault
        held = len(vault)
        page = await browser.approve(preview["approval_url"], key=KEY_A)
        a_after = data(await a.call_tool("dnc_check", {"url": "in/same-person"}))
        b_after = data(await b.call_tool("dnc_check", {"url": "in/same-person"}))
        released = len(vault)
    assert preview["status"] == "approval_required"
    assert preview["approval_url"].startswith(f"{hosting.base_url}/approve/apr_")
    assert held == 1
    assert page.status == 200
    assert "deleted" in page.text
    assert a_after["onList"] is False
    assert b_after["onList"] is True  # the other team's entry is untouched
    assert released == 0
    [deleted] = [line for line in hosting.audit_lines() if line["outcome"] == "deleted"]
    assert deleted["key_fingerprint"] == key_fingerprint(KEY_A)
    assert deleted["team"] == "team_a"


class Revocable:
    """In front of the reference server: keys in `revoked` get the API's 401; every request's
    key is noted in `seen`, so a test counts what reached the API."""

    def __init__(self, app: ASGIApp, revoked: set[str], seen: list[str]) -> None:
        self.app, self.revoked, self.seen = app, revoked, seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            auth = dict(scope["headers"]).get(b"authorization", b"").decode()
            key = auth.removeprefix("Bearer ")
            self.seen.append(key)
            if key in self.revoked:
                body = b'{"error": "unauthorized", "message": "Invalid API key"}'
                start = {"type": "http.response.start", "status": 401, "headers": []}
                await send(start | {"headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


@pytest.mark.e2e
async def test_a_key_revoked_mid_session_stops_a_bulk_tool_at_once_and_then_the_door(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    revoked: set[str] = set()
    seen: list[str] = []
    urls = [f"in/prospect-{i}" for i in range(200)]
    async with reference_api(tmp_path, clock) as api:
        api.add_middleware(Revocable, revoked=revoked, seen=seen)
        async with (
            hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
            team_client(hosting.url, KEY_A, mode="legacy") as a,
            httpx.AsyncClient() as http,
        ):
            data(await a.call_tool("dnc_add", {"url": "in/prospect-7"}))
            revoked.add(KEY_A)
            before = seen.count(KEY_A)
            stopped = await a.call_tool("dnc_check_many", {"urls": urls})
            during = seen.count(KEY_A) - before
            door = await http.post(
                hosting.url,
                json=INITIALIZE,
                headers=MCP_HEADERS | {"authorization": f"Bearer {KEY_A}"},
            )
            after = seen.count(KEY_A) - before
    assert stopped.is_error
    assert "key this MCP request carried" in stopped.model_dump_json()
    assert during <= 2, f"{during} requests with a dead key (one per URL would be {len(urls)})"
    assert door.status_code == 401  # refused at the door now, without asking the API again
    assert after == during


@pytest.mark.e2e
async def test_300_junk_bearers_open_no_session_and_team_a_is_still_served(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    config = hosted_config(tmp_path, "one", max_sessions=5)
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, config, clock) as hosting,
        httpx.AsyncClient(limits=httpx.Limits(max_connections=50)) as http,
    ):
        statuses: list[int] = []

        async def junk(i: int) -> None:
            headers = MCP_HEADERS | {"authorization": f"Bearer junk-{i:04d}-{'x' * 24}"}
            statuses.append(
                (await http.post(hosting.url, json=INITIALIZE, headers=headers)).status_code
            )

        async with anyio.create_task_group() as group:
            for i in range(300):
                group.start_soon(junk, i)
        junk_sessions = open_sessions(hosting)
        async with team_client(hosting.url, KEY_A, mode="legacy") as a:
            listed = data(await a.call_tool("dnc_list", {}))
    assert statuses == [401] * 300
    assert junk_sessions == 0
    assert listed["entries"] == []


@pytest.mark.e2e
async def test_one_key_holds_at_most_its_share_of_sessions_and_idle_ones_close(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    config = hosted_config(tmp_path, "one", max_sessions_per_credential=2, session_idle_s=1.0)
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, config, clock) as hosting,
        httpx.AsyncClient() as http,
    ):

        async def initialize(key: str) -> httpx.Response:
            headers = MCP_HEADERS | {"authorization": f"Bearer {key}"}
            return await http.post(hosting.url, json=INITIALIZE, headers=headers)

        first, second, third = [await initialize(KEY_A) for _ in range(3)]
        other_team = await initialize(KEY_B)
        await anyio.sleep(2.5)  # past the idle timeout and its slack
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        stale = await http.post(
            hosting.url,
            json=listing,
            headers=MCP_HEADERS
            | {
                "authorization": f"Bearer {KEY_A}",
                "mcp-session-id": first.headers["mcp-session-id"],
                "mcp-protocol-version": "2025-11-25",
            },
        )
        fresh = await initialize(KEY_A)
    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    assert "at most 2" in third.json()["error"]["message"]
    assert other_team.status_code == 200
    assert stale.status_code == 404  # the SDK closed the idle session
    assert fresh.status_code == 200


class Exhausted:
    """In front of the reference server: every request of `key` is refused 429 (its team's
    read budget spent), as the API would answer a key it knows."""

    def __init__(self, app: ASGIApp, key: str, clock: FrozenClock) -> None:
        self.app, self.key, self.clock = app, key, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        auth = dict(scope.get("headers", [])).get(b"authorization", b"").decode()
        if scope["type"] == "http" and auth == f"Bearer {self.key}":
            reset = int((self.clock.now + 1) * 1000)
            body = json.dumps(
                {"error": "rate_limit_exceeded", "message": "Rate limit", "resetTime": reset}
            ).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


async def test_a_key_whose_team_is_rate_limited_is_still_a_known_key(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with reference_api(tmp_path, clock) as api:
        api.add_middleware(Exhausted, key=KEY_A, clock=clock)
        async with (
            hosted(api, hosted_config(tmp_path, "one"), clock) as hosting,
            httpx.AsyncClient() as http,
        ):
            bearer_a = MCP_HEADERS | {"authorization": f"Bearer {KEY_A}"}
            opened = await http.post(hosting.url, json=INITIALIZE, headers=bearer_a)
    assert opened.status_code == 200  # a 429 is per team: only a key the API knows gets one
