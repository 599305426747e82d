"""`dnc serve` instances as real processes, started from a fresh environment like an operator's
shell: the helpers of the multi-instance, outage and conformance tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.real_servers import free_port

# The checkout this file belongs to: tests run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[2]

__all__ = ["Instance", "dnc_serve"]


@dataclass
class Instance:
    process: subprocess.Popen[str]
    base_url: str
    lines: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        """kill -9 of the `dnc serve` process (its workers die with it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@contextmanager
def dnc_serve(
    *args: str, env: Mapping[str, str], port: int | None = None, timeout_s: float = 60
) -> Iterator[Instance]:
    """`python -m dnc serve --port P ARGS` with only `env` as DNC_ configuration."""
    port = port or free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    environ.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "dnc", "serve", "--port", str(port), *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=environ,
        cwd=REPO_ROOT,
    )
    instance = Instance(process, f"http://127.0.0.1:{port}")
    ready = threading.Event()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            instance.lines.append(line.rstrip("\n"))
            if line.startswith("listening on "):
                ready.set()
        ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        if not ready.wait(timeout_s) or process.poll() is not None:
            raise RuntimeError(f"dnc serve did not start:\n{instance.log[-3000:]}")
        yield instance
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        reader.join(5)
        if process.stderr is not None:
            process.stderr.close()
        time.sleep(0.05)
