"""The built wheel, installed into a fresh venv outside the checkout, runs every command.

The venv lives in a temporary folder and every command runs there, with no PYTHONPATH, so
nothing can be imported from the checkout: the spec and fixtures must come from the wheel
(`dnc_kit/_data/`). The wheel is built and installed once per session (conftest.py).
"""

from __future__ import annotations

import csv
import io
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.processes import running

from .fresh_venv import REPO_ROOT, Dist, Installed

pytestmark = pytest.mark.e2e

KEY = "sk_wheel_smoke_key_0c6e"


def test_the_wheel_and_the_sdist_carry_the_spec_and_the_fixtures(dist: Dist) -> None:
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    assert "dnc_kit/_data/openapi.yaml" in names
    assert "dnc_kit/_data/fixtures/normalization.json" in names
    assert "dnc_cli/main.py" in names
    with tarfile.open(dist.sdist) as sdist:
        members = {
            Path(name).relative_to(Path(name).parts[0]).as_posix()
            for name in sdist.getnames()
            if "/" in name
        }
    assert {"openapi.yaml", "fixtures/normalization.json", "dnc_cli/main.py"} <= members


def test_the_installed_package_is_imported_from_the_venv_not_the_checkout(
    installed: Installed,
) -> None:
    done = subprocess.run(
        [
            str(installed.bin / "python"),
            "-c",
            "import dnc_kit, dnc_client; print(dnc_kit.OPENAPI_PATH)",
        ],
        cwd=installed.home,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    spec = Path(done.stdout.strip())
    assert spec.is_file()
    assert REPO_ROOT not in spec.parents


def test_dnc_serve_answers_real_requests(installed: Installed) -> None:
    env = {**installed.env, "DNC_API_KEYS": f"{KEY}:team_wheel"}
    command = [str(installed.bin / "dnc"), "serve", "--port", "0", "--db", ":memory:"]
    command += ["--no-access-log", "--log-level", "warning"]
    with running(command, cwd=installed.home, env=env, timeout_s=30, grace_s=30) as server:
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            assert http.post("/dnc", json={"url": "in/wheel-person"}).status_code == 201
            check = http.get("/dnc/check", params={"url": "LINKEDIN.COM/IN/WHEEL-PERSON"})
            assert check.json()["data"]["onList"] is True
            assert http.get("/dnc/check", params={"url": "bad url"}).status_code == 400


def test_dnc_mcp_lists_its_tools_and_answers_checks_over_stdio(installed: Installed) -> None:
    async def drive() -> tuple[set[str], dict[str, Any], dict[str, Any]]:
        params = StdioServerParameters(
            command=str(installed.bin / "dnc"), args=["mcp"], env=installed.env, cwd=installed.home
        )
        async with Client(params) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            await client.call_tool("dnc_add", {"url": "in/mcp-wheel-person"})
            one = await client.call_tool(
                "dnc_check", {"url": "https://www.linkedin.com/in/mcp-wheel-person/"}
            )
            many = await client.call_tool(
                "dnc_check_many", {"urls": ["in/mcp-wheel-person", "in/other-x"]}
            )
            assert one.structured_content is not None
            assert many.structured_content is not None
            return tools, one.structured_content, many.structured_content

    tools, one, many = anyio.run(drive)
    assert {"dnc_check", "dnc_check_many", "dnc_add", "dnc_delete"} <= tools
    assert one["onList"] is True
    assert [r["onList"] for r in many["results"]] == [True, False]


def test_dnc_conformance_passes_its_schema_and_normalization_checks(installed: Installed) -> None:
    done = installed.dnc("conformance", "-m", "schema or normalization", "-q", timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


def test_dnc_demo_runs_the_agent_session(installed: Installed) -> None:
    done = installed.dnc("demo", "--skip-suite")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "dnc mcp: an AI agent handles two prospect replies" in done.stdout


def test_the_human_cli_adds_checks_imports_exports_lists_and_deletes(installed: Installed) -> None:
    assert installed.dnc("add", "in/cli-wheel-person", "--reason", "STOP").returncode == 0
    prospects = installed.home / "prospects.csv"
    prospects.write_text(
        "name,linkedin_url\nA,in/cli-wheel-person\nB,in/not-listed-x\n", encoding="utf-8"
    )
    checked = installed.dnc("check", "--file", str(prospects))
    assert checked.returncode == 0, checked.stderr
    assert [r["dnc_on_list"] for r in csv.DictReader(io.StringIO(checked.stdout))] == [
        "true",
        "false",
    ]
    optouts = installed.home / "optouts.txt"
    optouts.write_text("in/imported-one\nin/imported-two\n", encoding="utf-8")
    imported = installed.dnc("import", str(optouts))
    assert [r["dnc_status"] for r in csv.DictReader(io.StringIO(imported.stdout))] == [
        "added",
        "added",
    ]
    exported = installed.dnc("export")
    urls = [r["url"] for r in csv.DictReader(io.StringIO(exported.stdout))]
    assert {
        "https://linkedin.com/in/imported-one",
        "https://linkedin.com/in/cli-wheel-person",
    } <= set(urls)
    assert len(urls) == len(set(urls))
    assert "https://linkedin.com/in/imported-two" in installed.dnc("list").stdout
    assert installed.dnc("delete", "in/imported-two", "--yes").returncode == 0
    assert installed.dnc("check", "in/imported-two").stdout.startswith("Not on")
