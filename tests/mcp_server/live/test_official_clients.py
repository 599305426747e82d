"""The official MCP clients, on the project's pinned Node 22, against `dnc mcp` as a process.

- The MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16) against streamable
  HTTP, with `conformance-baseline.yml` as its expected failures: a new failure, or a listed
  scenario that starts passing, fails the run.
- The same suite a second time as 0.2.0-alpha.12 (npm alias `mcp-conformance-next`) with
  `--requirements 2026-07-28`, the protocol `dnc mcp` speaks by default, and its own baseline
  `conformance-baseline-2026-07-28.yml` (check-level entries, each with its reason).
- The MCP Inspector CLI (`@modelcontextprotocol/inspector --cli`): over stdio (tools/list,
  dnc_check, dnc_delete without elicitation), and over HTTP as two teams of one hosted server
  in front of an independent deployment of the API (`dnc serve`), bearer key per team.

Both are installed from the committed lock (`npm ci`) when missing; they never skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from .bearer_proxy import bearer_proxy
from .processes import (
    CONFORMANCE,
    INSPECTOR,
    REPO_ROOT,
    ensure_node_tools,
    http_server,
    node22_env,
    reference_server,
    server_env,
)

pytestmark = pytest.mark.e2e

BASELINE = Path(__file__).with_name("conformance-baseline.yml")
BASELINE_NEXT = Path(__file__).with_name("conformance-baseline-2026-07-28.yml")
CONFORMANCE_NEXT = REPO_ROOT / "node_modules" / "mcp-conformance-next" / "dist" / "index.js"
REQUIREMENTS_NEXT = "2026-07-28"
APPLY_TO_ANY_SERVER = {
    "server-initialize",
    "ping",
    "tools-list",
    "tools-call-error",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
}
# Scenarios of the 2026-07-28 requirements that need no fixture of the suite's own server.
APPLY_TO_ANY_SERVER_NEXT = {
    "tools-list",
    "tools-call-error",
    "resources-list",
    "sep-2164-resource-not-found",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "caching",
    "http-header-validation",
}
KEY_A = "sk_live_inspector_team_a_51f0c2d9e8"
KEY_B = "sk_live_inspector_team_b_a7c3e1b604"


def run_conformance_suite(
    tmp_path: Path, node: Path, suite: Path, *options: str | Path
) -> subprocess.CompletedProcess[str]:
    """One run of an official conformance suite against a token-protected `dnc mcp`.

    The suite cannot send a header, and the server serves only callers with its bearer: a
    loopback proxy adds it (Host and Origin pass through for the rebinding scenario).
    """
    token = "conformance-run-bearer-0123456789abcdef"
    with (
        http_server(tmp_path, ["--no-delete"], {"DNC_MCP_TOKEN": token}) as server,
        bearer_proxy(server.url, token) as proxied_url,
    ):
        return subprocess.run(
            [node, suite, "server", "--url", proxied_url, *options, "-o", tmp_path / "results"],
            cwd=REPO_ROOT,
            env=node22_env(server_env(tmp_path)),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def passed_scenarios(stdout: str) -> set[str]:
    return {line.split()[1].rstrip(":") for line in stdout.splitlines() if line.startswith("✓ ")}


def test_the_official_conformance_suite_passes_with_only_the_listed_expected_failures(
    tmp_path: Path,
) -> None:
    node = ensure_node_tools()
    completed = run_conformance_suite(tmp_path, node, CONFORMANCE, "--expected-failures", BASELINE)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"conformance suite failed against dnc mcp:\n{output}"
    assert "Baseline check passed" in output, output
    passed = passed_scenarios(completed.stdout)
    assert passed >= APPLY_TO_ANY_SERVER, f"missing passes: {APPLY_TO_ANY_SERVER - passed}"


def ensure_conformance_next() -> Path:
    """Node 22 and both suite versions; a node_modules from before the alias gets `npm ci`."""
    node = ensure_node_tools()
    if not CONFORMANCE_NEXT.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is required to install the conformance suite 0.2.0-alpha.12")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=REPO_ROOT,
            capture_output=True,
            timeout=600,
            check=True,
        )
    assert CONFORMANCE_NEXT.exists(), "npm ci did not install mcp-conformance-next"
    return node


def test_the_2026_07_28_conformance_requirements_pass_with_only_the_listed_expected_failures(
    tmp_path: Path,
) -> None:
    node = ensure_conformance_next()
    completed = run_conformance_suite(
        tmp_path,
        node,
        CONFORMANCE_NEXT,
        "--requirements",
        REQUIREMENTS_NEXT,
        "--expected-failures",
        BASELINE_NEXT,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"2026-07-28 conformance failed against dnc mcp:\n{output}"
    assert "Baseline check passed" in output, output
    passed = passed_scenarios(completed.stdout)
    missing = APPLY_TO_ANY_SERVER_NEXT - passed
    assert not missing, f"missing passes: {missing}"


def inspect(
    node: Path, target: list[str], *options: str, env: dict[str, str], cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, INSPECTOR, "--cli", *target, *options],
        cwd=cwd,
        env=node22_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def as_json(completed: subprocess.CompletedProcess[str]) -> Any:
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads(completed.stdout)


def test_the_inspector_cli_lists_the_tools_and_calls_them_over_stdio(tmp_path: Path) -> None:
    node = ensure_node_tools()
    data_dir = tmp_path / "data"
    # The Inspector passes the server only the environment given with -e.
    target = [sys.executable, "-m", "dnc", "mcp"]
    env = server_env(data_dir)
    listed = as_json(
        inspect(
            node, target, "-e", f"DNC_MCP_DATA_DIR={data_dir}", "--method", "tools/list", env=env
        )
    )
    call = ("-e", f"DNC_MCP_DATA_DIR={data_dir}", "--method", "tools/call", "--tool-name")
    added = as_json(
        inspect(node, target, *call, "dnc_add", "--tool-arg", "url=in/inspected", env=env)
    )
    checked = as_json(
        inspect(
            node,
            target,
            *call,
            "dnc_check",
            "--tool-arg",
            "url=linkedin.com/in/inspected/",
            env=env,
        )
    )
    asked = as_json(
        inspect(node, target, *call, "dnc_delete", "--tool-arg", "url=in/inspected", env=env)
    )
    still = as_json(
        inspect(node, target, *call, "dnc_check", "--tool-arg", "url=in/inspected", env=env)
    )
    names = {tool["name"] for tool in listed["tools"]}
    assert names == {
        "dnc_add",
        "dnc_add_batch",
        "dnc_check",
        "dnc_check_many",
        "dnc_list",
        "dnc_delete",
    }
    assert added["structuredContent"]["status"] == "added"
    assert checked["structuredContent"]["onList"] is True
    assert checked["structuredContent"]["entry"]["url"] == "https://linkedin.com/in/inspected"
    # The Inspector CLI connects without elicitation: a link for the human, nothing deleted.
    assert asked["structuredContent"]["status"] == "approval_required"
    assert asked["structuredContent"]["approval_url"].startswith("http://127.0.0.1:")
    assert still["structuredContent"]["onList"] is True


def test_the_inspector_drives_one_hosted_server_as_two_teams_each_with_its_own_key(
    tmp_path: Path,
) -> None:
    node = ensure_node_tools()
    keys = {KEY_A: "team_a", KEY_B: "team_b"}
    with (
        reference_server(tmp_path, keys) as api,
        http_server(tmp_path, env={"DNC_BASE_URL": api.base_url}) as server,
    ):
        env = server_env(tmp_path)

        def as_team(key: str, *options: str) -> subprocess.CompletedProcess[str]:
            auth = ("--header", f"Authorization: Bearer {key}")
            return inspect(node, [server.url], "--transport", "http", *auth, *options, env=env)

        call = ("--method", "tools/call", "--tool-name")
        added = as_json(as_team(KEY_A, *call, "dnc_add", "--tool-arg", "url=in/hosted-a"))
        b_sees = as_json(as_team(KEY_B, *call, "dnc_check", "--tool-arg", "url=in/hosted-a"))
        a_sees = as_json(as_team(KEY_A, *call, "dnc_check", "--tool-arg", "url=in/hosted-a"))
        keyless = inspect(
            node, [server.url], "--transport", "http", "--method", "tools/list", env=env
        )
        raw = httpx.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        stderr = server.stderr()
    assert added["structuredContent"]["entry"]["teamId"] == "team_a"
    assert b_sees["structuredContent"] == {"onList": False, "entry": None}
    assert a_sees["structuredContent"]["onList"] is True
    assert keyless.returncode != 0
    assert raw.status_code == 401
    assert raw.headers["www-authenticate"].startswith("Bearer")
    assert "multi-team server, loopback" in stderr
    for key in keys:
        assert key not in stderr
