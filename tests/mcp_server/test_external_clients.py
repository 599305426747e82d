"""`dnc mcp` as a real process (stdio and streamable HTTP), driven by real clients.

- The official TypeScript SDK (`@modelcontextprotocol/sdk`, pinned in node_client/package.json
  and package-lock.json) is an external client: it lists the tools and calls `dnc_check`.
  Its dependencies are installed here with `npm ci` when missing (CI runs on a fresh clone).
- The Python SDK's stdio client checks `--read-only` and that stdout carries only protocol.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from mcp_server.embedded import KEY_NAME, embedded_backend
from tests.processes import start

pytestmark = pytest.mark.e2e

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[2]

NODE_CLIENT = Path(__file__).parent / "node_client"
SERVER_COMMAND = [sys.executable, "-m", "dnc", "mcp"]


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    env["DNC_MCP_DATA_DIR"] = str(data_dir)
    return env


def ensure_node_client() -> str:
    """The node executable, with the client's dependencies installed from the lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "node and npm are required for the external MCP client test: install Node.js >= 18"
            " (with npm), then run `npm ci` in tests/mcp_server/node_client"
        )
    if not (NODE_CLIENT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
            cwd=NODE_CLIENT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if installed.returncode != 0:
            pytest.fail(f"npm ci failed in {NODE_CLIENT}:\n{installed.stderr[-2000:]}")
    return node


async def seed(data_dir: Path, url: str) -> str:
    """Put `url` on the embedded backend's list, as a previous `dnc mcp` session would have."""
    import httpx

    async with embedded_backend(data_dir) as backend:
        headers = {"Authorization": f"Bearer {backend.api_key}"}
        async with httpx.AsyncClient(
            transport=backend.transport, base_url=backend.base_url, headers=headers
        ) as http:
            response = await http.post("/dnc", json={"url": url})
            entry_id: str = response.json()["data"]["$id"]
            return entry_id


@pytest.mark.node
def test_the_typescript_sdk_client_lists_the_tools_and_checks_a_url(tmp_path: Path) -> None:
    node = ensure_node_client()
    entry_id = anyio.run(seed, tmp_path, "https://www.linkedin.com/in/JohnSmith/")
    completed = subprocess.run(
        [
            node,
            str(NODE_CLIENT / "drive_stdio.mjs"),
            "dnc_check",
            json.dumps({"url": "linkedin.com/in/johnsmith"}),
            "--",
            *SERVER_COMMAND,
        ],
        cwd=REPO_ROOT,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    tools = {tool["name"]: tool for tool in report["tools"]}
    assert set(tools) == {
        "dnc_add",
        "dnc_add_batch",
        "dnc_check",
        "dnc_check_many",
        "dnc_list",
        "dnc_delete",
    }
    assert tools["dnc_check"]["annotations"]["readOnlyHint"] is True
    assert tools["dnc_delete"]["annotations"]["destructiveHint"] is True
    assert all(tool["hasOutputSchema"] for tool in tools.values())
    call = report["call"]
    assert call["isError"] is False
    assert call["structuredContent"]["onList"] is True
    assert call["structuredContent"]["entry"]["$id"] == entry_id
    assert "embedded reference backend" in completed.stderr  # said so on stderr
    key = (tmp_path / KEY_NAME).read_text().strip()
    assert key not in completed.stderr
    assert key not in completed.stdout


@pytest.mark.anyio
async def test_the_python_stdio_client_sees_only_read_tools_in_read_only_mode(
    tmp_path: Path,
) -> None:
    params = StdioServerParameters(
        command=SERVER_COMMAND[0],
        args=[*SERVER_COMMAND[1:], "--read-only"],
        env=server_env(tmp_path),
        cwd=str(REPO_ROOT),
    )
    with (tmp_path / "stderr.log").open("w+", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("dnc_check", {"url": "in/nobody-here"})
        errlog.seek(0)
        stderr = errlog.read()
    assert names == {"dnc_check", "dnc_check_many", "dnc_list"}
    assert result.structured_content == {"onList": False, "entry": None}
    assert "read-only" in stderr
    assert (tmp_path / KEY_NAME).read_text().strip() not in stderr


def test_dnc_mcp_refuses_a_base_url_without_a_key(tmp_path: Path) -> None:
    env = server_env(tmp_path) | {"DNC_BASE_URL": "http://127.0.0.1:9/v1"}
    completed = subprocess.run(
        SERVER_COMMAND,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 2
    assert "DNC_API_KEY" in completed.stderr
    assert completed.stdout == ""


@pytest.mark.anyio
async def test_streamable_http_serves_on_loopback_in_both_protocol_modes(tmp_path: Path) -> None:
    argv = [*SERVER_COMMAND, "--transport", "streamable-http", "--port", "0", "--no-delete"]
    # Started (and waited for) in a thread: the readiness wait blocks.
    server = await anyio.to_thread.run_sync(
        lambda: start(argv, env=server_env(tmp_path), timeout_s=20, capture_stdout=True)
    )
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.url.endswith("/mcp")
        # A single-team HTTP server serves only callers with its bearer: here the team's key.
        bearer = {"Authorization": f"Bearer {(tmp_path / KEY_NAME).read_text().strip()}"}
        for mode in ("auto", "legacy"):
            async with (
                httpx2.AsyncClient(headers=bearer, timeout=60) as http,
                Client(streamable_http_client(server.url, http_client=http), mode=mode) as client,
            ):
                names = {tool.name for tool in (await client.list_tools()).tools}
                checked = await client.call_tool("dnc_check", {"url": "in/someone"})
            assert names == {
                "dnc_add",
                "dnc_add_batch",
                "dnc_check",
                "dnc_check_many",
                "dnc_list",
            }
            assert checked.structured_content == {"onList": False, "entry": None}
    finally:
        await anyio.to_thread.run_sync(server.stop, 20)
    assert server.stdout == b""  # logs go to stderr, never stdout


@pytest.mark.node
@pytest.mark.parametrize(("choice", "listed"), [("approve", False), ("decline", True)])
def test_a_url_only_typescript_client_is_sent_to_the_approval_page_which_decides(
    tmp_path: Path, choice: str, listed: bool
) -> None:
    node = ensure_node_client()
    completed = subprocess.run(
        [
            node,
            str(NODE_CLIENT / "drive_url_elicitation.mjs"),
            choice,
            "linkedin.com/in/url-mode-person",
            "--",
            *SERVER_COMMAND,
        ],
        cwd=REPO_ROOT,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    first = report["asked"][0]
    assert first["mode"] == "url"
    assert first["url"].startswith("http://127.0.0.1:")
    assert f"/approve/{first['elicitationId']}" in first["url"]
    assert report["asked"][1] == {"page": 200, "decided": 200}
    assert report["checked"]["onList"] is listed
    deleted = report["deleted"]["structuredContent"]
    assert deleted["status"] == ("not_deleted" if listed else "deleted")
    key = (tmp_path / KEY_NAME).read_text().strip()
    assert key not in completed.stdout + completed.stderr
