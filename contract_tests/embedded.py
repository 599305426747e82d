"""Without DNC_BASE_URL the suite starts the project's reference server as a subprocess on a free
loopback port, with two generated team keys and a short rate-limit window, and stops it after."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

DEFAULT_WINDOW_S = 2.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedServer:
    process: subprocess.Popen[bytes]
    base_url: str
    key_a: str
    key_b: str
    window_s: float
    workdir: tempfile.TemporaryDirectory[str]
    log: IO[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()
        self.workdir.cleanup()


def start(window_s: float = DEFAULT_WINDOW_S, timeout_s: float = 30.0) -> EmbeddedServer:
    """Start `dnc serve` in a subprocess and wait until it answers."""
    port = free_port()
    key_a, key_b = f"ka_{secrets.token_hex(12)}", f"kb_{secrets.token_hex(12)}"
    workdir = tempfile.TemporaryDirectory(prefix="dnc-conformance-")
    env = dict(os.environ)
    env["DNC_API_KEYS"] = f"{key_a}:team_conformance_a,{key_b}:team_conformance_b"
    env["DNC_RATE_WINDOW_S"] = f"{window_s:g}"
    cmd = [
        sys.executable, "-m", "reference_server",
        "--host", "127.0.0.1", "--port", str(port),
        "--db", str(Path(workdir.name) / "dnc.sqlite3"),
        "--rate-window-s", f"{window_s:g}",
    ]  # fmt: skip
    log = (Path(workdir.name) / "server.log").open("wb")
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}/v1"
    server = EmbeddedServer(process, base_url, key_a, key_b, window_s, workdir, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = (Path(workdir.name) / "server.log").read_text(errors="replace")
            server.stop()
            raise RuntimeError(f"the embedded reference server exited:\n{output[-3000:]}")
        try:
            # No key: a 401 proves the server is up without spending any team's rate limit.
            httpx.get(base_url + "/dnc", timeout=1.0)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the embedded reference server did not answer within {timeout_s:.0f} s")
