"""Without DNC_BASE_URL the suite starts the project's reference server as a subprocess on a free
loopback port, with two generated team keys and a short rate-limit window, and stops it after.

The server picks its own port (`--port 0`) and names it in its readiness line, read with
`dnc_kit.serving.parse_ready_line` (the oracle may use dnc_kit, never the server's code)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dnc_kit.serving import parse_ready_line

DEFAULT_WINDOW_S = 2.0


@dataclass
class EmbeddedServer:
    process: subprocess.Popen[bytes]
    base_url: str
    key_a: str
    key_b: str
    window_s: float
    workdir: tempfile.TemporaryDirectory[str]
    log: IO[bytes]
    pump: threading.Thread

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.pump.join(5)
        self.log.close()
        self.workdir.cleanup()


def _pump(stream: IO[bytes], log: IO[bytes], found: list[str], ready: threading.Event) -> None:
    """Copies the server's stderr into its log file (a full pipe would block the server)."""
    for line in stream:
        log.write(line)
        log.flush()
        url = parse_ready_line(line.decode("utf-8", errors="replace"))
        if url is not None and not found:
            found.append(url)
            ready.set()
    stream.close()
    ready.set()


def start(window_s: float = DEFAULT_WINDOW_S, timeout_s: float = 30.0) -> EmbeddedServer:
    """Start `dnc serve` in a subprocess and wait until it says where it listens."""
    key_a, key_b = f"ka_{secrets.token_hex(12)}", f"kb_{secrets.token_hex(12)}"
    workdir = tempfile.TemporaryDirectory(prefix="dnc-conformance-")
    env = dict(os.environ)
    env["DNC_API_KEYS"] = f"{key_a}:team_conformance_a,{key_b}:team_conformance_b"
    env["DNC_RATE_WINDOW_S"] = f"{window_s:g}"
    cmd = [
        sys.executable, "-m", "reference_server",
        "--host", "127.0.0.1", "--port", "0",
        "--db", str(Path(workdir.name) / "dnc.sqlite3"),
        "--rate-window-s", f"{window_s:g}",
    ]  # fmt: skip
    log_path = Path(workdir.name) / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603
        cmd, env=env, stdout=log, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stderr is not None
    found: list[str] = []
    ready = threading.Event()
    pump = threading.Thread(target=_pump, args=(process.stderr, log, found, ready), daemon=True)
    pump.start()
    server = EmbeddedServer(process, "", key_a, key_b, window_s, workdir, log, pump)
    if not ready.wait(timeout_s) or not found:
        exited = process.poll()
        output = log_path.read_text(errors="replace")
        server.stop()
        why = "exited" if exited is not None else f"did not listen within {timeout_s:.0f} s"
        raise RuntimeError(f"the embedded reference server {why}:\n{output[-3000:]}")
    server.base_url = found[0]
    return server
