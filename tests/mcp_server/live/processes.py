"""`dnc mcp` as a real process, for the tests that drive it with external clients."""

from __future__ import annotations

import os
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
