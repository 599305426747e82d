"""Hostile callers against real `dnc mcp` processes in front of a real `dnc serve`.

The attacks a security review made on loopback, as tests: callers with no key, a junk key and
another team's key against a single-team HTTP server; a flood of junk bearers against the
multi-team server; a bind off loopback without a bearer of its own; a password in the base URL;
malformed lines on stdio.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from .processes import REPO_ROOT, SERVER_COMMAND, http_server, reference_server, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

KEY_A = "sk_live_hostile_team_a_3b9f0c2d7e"
KEY_B = "sk_live_hostile_team_b_8a1e6f4c20"
KEYS = {KEY_A: "team_a", KEY_B: "team_b"}
TOKEN = "mcp-token-for-the-hostile-tests-5c1d9e0b7a36f248"
PROTOCOL = "2025-11-25"
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": PROTOCOL,
        "capabilities": {},
        "clientInfo": {"name": "attacker", "version": "1"},
    },
}


def rpc_result(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message of a JSON or single-event SSE answer."""
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    message: dict[str, Any] = json.loads(text)
    return message


def list_entries(url: str, bearer: str | None) -> httpx.Response:
    """As a raw client would: initialize, then call dnc_list; the first refusal is returned."""
    auth = {"authorization": f"Bearer {bearer}"} if bearer is not None else {}
    with httpx.Client(timeout=30) as http:
        opened = http.post(url, json=INITIALIZE, headers=MCP_HEADERS | auth)
        if opened.status_code != 200:
            return opened
        session = {"mcp-session-id": opened.headers["mcp-session-id"]}
        common = MCP_HEADERS | auth | session | {"mcp-protocol-version": PROTOCOL}
        http.post(
            url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=common
        )
        call = {"name": "dnc_list", "arguments": {}}
        return http.post(
            url,
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call},
            headers=common,
        )


def add_directly(api_url: str, key: str, url: str) -> None:
    added = httpx.post(
        f"{api_url}/dnc", json={"url": url}, headers={"authorization": f"Bearer {key}"}
    )
    assert added.status_code == 201, added.text


@pytest.mark.parametrize("caller", ["no key", "junk key", "team B's key"])
def test_a_single_team_http_server_refuses_anyone_without_its_credential(
    tmp_path: Path, caller: str
) -> None:
    bearer = {"no key": None, "junk key": "sk_live_guess_000000000000", "team B's key": KEY_B}[
        caller
    ]
    with reference_server(tmp_path, KEYS) as api:
        add_directly(api.base_url, KEY_A, "in/secret-of-team-a")
        env = {"DNC_BASE_URL": api.base_url, "DNC_API_KEY": KEY_A}
        with http_server(tmp_path, env=env) as server:
            refused = list_entries(server.url, bearer)
            served = list_entries(server.url, KEY_A)
            stderr = server.stderr()
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="dnc-mcp"'
    assert "secret-of-team-a" not in refused.text
    assert served.status_code == 200
    listed = rpc_result(served)["result"]["structuredContent"]["entries"]
    assert [entry["url"] for entry in listed] == ["https://linkedin.com/in/secret-of-team-a"]
    assert "single-team server, loopback" in stderr
    assert KEY_A not in stderr


def test_with_dnc_mcp_token_set_only_that_token_is_a_bearer_not_the_team_key(
    tmp_path: Path,
) -> None:
    with reference_server(tmp_path, KEYS) as api:
        add_directly(api.base_url, KEY_A, "in/kept-behind-the-token")
        env = {"DNC_BASE_URL": api.base_url, "DNC_API_KEY": KEY_A, "DNC_MCP_TOKEN": TOKEN}
        with http_server(tmp_path, env=env) as server:
            with_team_key = list_entries(server.url, KEY_A)
            with_token = list_entries(server.url, TOKEN)
            stderr = server.stderr()
    assert with_team_key.status_code == 401
    assert with_token.status_code == 200
    assert "kept-behind-the-token" in with_token.text
    assert "DNC_MCP_TOKEN" in stderr
    assert TOKEN not in stderr


def test_a_single_team_server_will_not_bind_off_loopback_without_a_token_of_its_own(
    tmp_path: Path,
) -> None:
    public = [
        "--transport", "streamable-http", "--host", "0.0.0.0", "--port", "0",
        "--allow-non-loopback", "--allowed-hosts", "mcp.example.com",
        "--public-url", "https://mcp.example.com",
    ]  # fmt: skip
    env = server_env(
        tmp_path / "data", {"DNC_BASE_URL": "http://127.0.0.1:9/v1", "DNC_API_KEY": KEY_A}
    )
    refused = subprocess.run(
        [*SERVER_COMMAND, *public],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 2
    assert "DNC_MCP_TOKEN" in refused.stderr
    assert KEY_A not in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_base_url_is_logged_without_its_password(tmp_path: Path) -> None:
    with reference_server(tmp_path, KEYS) as api:
        with_password = api.base_url.replace("http://", "http://operator:hunter2-in-url@")
        env = {"DNC_BASE_URL": with_password, "DNC_API_KEY": KEY_A}
        with http_server(tmp_path, env=env) as server:
            stderr = server.stderr()
    assert "hunter2-in-url" not in stderr
    assert "operator:***@" in stderr


async def test_300_junk_bearers_get_401_and_the_multi_team_server_still_serves_team_a(
    tmp_path: Path,
) -> None:
    with reference_server(tmp_path, KEYS) as api:
        add_directly(api.base_url, KEY_A, "in/still-served")
        # Five sessions in all: had the junk opened any, team A would get the SDK's 503.
        with http_server(
            tmp_path, ["--max-sessions", "5"], {"DNC_BASE_URL": api.base_url}
        ) as server:
            statuses: list[int] = []
            limits = httpx.Limits(max_connections=30)
            async with httpx.AsyncClient(limits=limits, timeout=60) as http:

                async def junk(i: int) -> None:
                    bearer = {"authorization": f"Bearer sk_live_junk_{i:04d}_{'f' * 20}"}
                    answer = await http.post(
                        server.url, json=INITIALIZE, headers=MCP_HEADERS | bearer
                    )
                    statuses.append(answer.status_code)

                started = time.monotonic()
                async with anyio.create_task_group() as group:
                    for i in range(300):
                        group.start_soon(junk, i)
                flood_s = time.monotonic() - started
            served = await anyio.to_thread.run_sync(list_entries, server.url, KEY_A)
            b_served = await anyio.to_thread.run_sync(list_entries, server.url, KEY_B)
    assert statuses == [401] * 300, f"took {flood_s:.1f} s"
    assert served.status_code == 200
    assert "still-served" in served.text
    assert b_served.status_code == 200
    assert "still-served" not in b_served.text


def test_one_key_cannot_hold_more_sessions_than_its_share_and_idle_ones_close(
    tmp_path: Path,
) -> None:
    args = ["--max-sessions-per-credential", "2", "--session-idle-timeout", "1"]
    with (
        reference_server(tmp_path, KEYS) as api,
        http_server(tmp_path, args, {"DNC_BASE_URL": api.base_url}) as server,
        httpx.Client(timeout=30) as http,
    ):

        def initialize(key: str) -> httpx.Response:
            bearer = {"authorization": f"Bearer {key}"}
            return http.post(server.url, json=INITIALIZE, headers=MCP_HEADERS | bearer)

        first, second, third = (initialize(KEY_A) for _ in range(3))
        other_team = initialize(KEY_B)
        time.sleep(2.5)
        stale = http.post(
            server.url,
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            headers=MCP_HEADERS
            | {
                "authorization": f"Bearer {KEY_A}",
                "mcp-session-id": first.headers["mcp-session-id"],
                "mcp-protocol-version": PROTOCOL,
            },
        )
        fresh = initialize(KEY_A)
    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    assert other_team.status_code == 200
    assert stale.status_code == 404
    assert fresh.status_code == 200


def stdout_lines(process: subprocess.Popen[bytes]) -> queue.Queue[bytes]:
    """The process's stdout lines, read by a thread as they come."""
    lines: queue.Queue[bytes] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def next_message(lines: queue.Queue[bytes], timeout_s: float = 20) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(lines.get(timeout=timeout_s))
    return message


def test_a_malformed_stdio_line_gets_a_json_rpc_error_and_the_session_goes_on(
    tmp_path: Path,
) -> None:
    lines = [
        "this is not json",
        "",
        '{"jsonrpc": "2.0", "id": 7, "method": 12}',
        '["a", "batch", "of", "junk"]',
        json.dumps(INITIALIZE),
    ]
    with subprocess.Popen(
        [*SERVER_COMMAND, "--read-only"],
        cwd=REPO_ROOT,
        env=server_env(tmp_path / "data"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        assert process.stdin is not None
        replies = stdout_lines(process)
        try:
            process.stdin.write("".join(f"{line}\n" for line in lines).encode())
            process.stdin.flush()
            answers = [next_message(replies) for _ in range(4)]
        finally:
            process.stdin.close()
            process.wait(timeout=20)
    not_json, bad_request, batch, initialized = answers
    assert not_json == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "Parse error: the line is not JSON"},
    }
    assert bad_request["id"] == 7
    assert bad_request["error"]["code"] == -32600
    assert batch["error"]["code"] == -32600
    assert initialized["id"] == 1
    assert initialized["result"]["serverInfo"]["name"] == "dnc"
