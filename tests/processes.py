"""Processes under test: start one, wait for its readiness line, pump its output, stop it.

Every server of ours prints `dnc_kit.serving.READY_LINE` on stderr once it accepts connections,
with the URL it serves (port 0 resolved). Its stderr (and stdout, if captured) is read by a
thread into memory from the start, so a chatty server never blocks on a full pipe, and a
server that fails to start raises `ProcessStartError` with the tail of what it said.

    with running([sys.executable, "-m", "dnc", "serve", "--port", "0"], env=clean_env()) as p:
        httpx.get(p.url + "/dnc")          # p.url: ".../v1" for dnc serve, ".../mcp" for dnc mcp
    assert "Traceback" not in p.log
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dnc_kit.serving import parse_ready_line

__all__ = [
    "REPO_ROOT",
    "Process",
    "ProcessStartError",
    "ServerProcess",
    "clean_env",
    "free_port",
    "running",
    "start",
    "start_server",
]

# The checkout this file belongs to: tests run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[1]
TAIL_CHARS = 4000
# A server logging every request of a benchmark must not grow the test process without bound.
MAX_LINES = 200_000


class ProcessStartError(RuntimeError):
    """A process under test exited or never said it was ready; the message ends with its log."""


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any DNC_* setting (an operator's fresh shell), plus
    `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    env.update(extra or {})
    return env


def free_port() -> int:
    """A loopback port free right now, for a process that must get it on its command line (or
    come back on the same address after a restart); prefer `--port 0` and `Process.url`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Process:
    """A started process; `url` is the one its readiness line named ("" if it never did)."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.url = ""
        self._stderr: deque[str] = deque(maxlen=MAX_LINES)
        self._stdout: list[bytes] = []
        self._ready = threading.Event()
        self._pumps = [threading.Thread(target=self._pump_stderr, daemon=True)]
        if popen.stdout is not None:
            self._pumps.append(threading.Thread(target=self._pump_stdout, daemon=True))
        for pump in self._pumps:
            pump.start()

    def _pump_stderr(self) -> None:
        assert self.popen.stderr is not None
        for raw in self.popen.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self._stderr.append(line)
            url = parse_ready_line(line)
            if url is not None and not self.url:
                self.url = url
                self._ready.set()
        self._ready.set()  # it closed stderr: it will never be ready

    def _pump_stdout(self) -> None:
        stream = self.popen.stdout
        assert stream is not None
        while chunk := os.read(stream.fileno(), 65536):
            self._stdout.append(chunk)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def lines(self) -> list[str]:
        """Its stderr so far, line by line."""
        return list(self._stderr)

    @property
    def log(self) -> str:
        return "\n".join(self._stderr)

    @property
    def stdout(self) -> bytes:
        """What it wrote to stdout so far (only when started with `capture_stdout`)."""
        return b"".join(self._stdout)

    def tail(self, chars: int = TAIL_CHARS) -> str:
        return self.log[-chars:]

    def wait_ready(self, timeout_s: float) -> str:
        if not self._ready.wait(timeout_s) or not self.url:
            self.stop()
            raise ProcessStartError(
                f"{self.popen.args!r} was not ready within {timeout_s:g} s"
                f" (exit status {self.popen.poll()}):\n{self.tail()}"
            )
        return self.url

    def send_signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def wait(self, timeout_s: float) -> int:
        """Its exit status, once it has exited and its output has been read to the end."""
        status = self.popen.wait(timeout_s)
        self._join()
        return status

    def kill(self) -> None:
        """kill -9, and reap it."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)
        self._join()

    def stop(self, grace_s: float = 15) -> int:
        """SIGTERM, then SIGKILL after `grace_s`; its exit status."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        status = self.popen.wait(10)
        self._join()
        return status

    def _join(self) -> None:
        # EOF comes once every process holding the pipes has exited (workers included).
        for pump in self._pumps:
            pump.join(5)
        for stream in (self.popen.stderr, self.popen.stdout):
            if stream is not None:
                stream.close()


def start(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout_s: float = 60,
    capture_stdout: bool = False,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
) -> Process:
    """Start `argv` and return once its readiness line has named its URL."""
    popen = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        stdin=stdin,
        stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    process = Process(popen)
    process.wait_ready(timeout_s)
    return process


@dataclass
class ServerProcess:
    """`dnc serve` with two teams of one fresh key each."""

    process: Process
    base_url: str  # ends in /v1
    keys: tuple[str, str]  # a key of team A, a key of team B


@contextmanager
def start_server(
    *args: str, window_s: float | None = None, env: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    """`dnc serve` on a free loopback port (SQLite in memory, unless `args` say otherwise)
    until the block ends; `window_s` sets its rate-limit window."""
    keys = (f"ka_{secrets.token_hex(12)}", f"kb_{secrets.token_hex(12)}")
    environ = clean_env({"DNC_API_KEYS": f"{keys[0]}:team_a,{keys[1]}:team_b", **(env or {})})
    if window_s is not None:
        environ["DNC_RATE_WINDOW_S"] = f"{window_s:g}"
    argv = [sys.executable, "-m", "dnc", "serve", "--port", "0"]
    argv += [*args] if "--db" in args else ["--db", ":memory:", *args]
    with running(argv, env=environ) as process:
        yield ServerProcess(process, process.url, keys)


@contextmanager
def running(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout_s: float = 60,
    capture_stdout: bool = False,
    grace_s: float = 15,
) -> Iterator[Process]:
    """`start()` until the block ends, then `stop()` (a failed start raises with the log)."""
    process = start(argv, env=env, cwd=cwd, timeout_s=timeout_s, capture_stdout=capture_stdout)
    try:
        yield process
    finally:
        process.stop(grace_s)
