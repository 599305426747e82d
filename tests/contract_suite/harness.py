"""Serve a (possibly broken) reference server in a thread and run the conformance suite against
it in a subprocess, the way a user would (`python -m contract_tests.cli`, env configuration)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference_server import Settings, create_app
from tests.processes import free_port

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[2]

KEY_A = "ka_selftest_0123456789abcdef"
KEY_B = "kb_selftest_0123456789abcdef"
WINDOW_S = 2.0
# The rate-limit variants of the kill matrix run with a slightly longer window: on a loaded
# CI machine a burst can take over a second, and at 2 s (less 1 s for servers counting whole
# seconds) that leaves too little room to tell a resetTime that comes too early.
RL_WINDOW_S = 3.0

AppWrapper = Callable[[Any], Any]


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_keys": {KEY_A: "team_selftest_a", KEY_B: "team_selftest_b"},
        "db_path": ":memory:",
        "rate_window_s": WINDOW_S,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def serve(fault_index: int = -1, *, window_s: float | None = None) -> Iterator[str]:
    """Serve the reference server (or the fault_index-th broken variant) in a subprocess, so that
    variants running side by side do not share one interpreter; yield its base URL (…/v1).
    `window_s` replaces the reference server's rate-limit window (not a variant's)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "tests.contract_suite.variant_server",
        "--fault",
        str(fault_index),
        "--port",
        str(port),
    ]
    if window_s is not None:
        cmd += ["--window-s", f"{window_s:g}"]
    with _served(cmd, port) as base_url:
        yield base_url


@contextmanager
def serve_independent(variant: str, *options: str) -> Iterator[str]:
    """Serve the independent implementation (tests/independent_server, written from the seeds
    and the spec only) with the self-test keys and window; yield its base URL (…/v1)."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "tests.independent_server",
        "--port", str(port),
        "--keys", f"{KEY_A}:team_independent_a,{KEY_B}:team_independent_b",
        "--window-s", f"{WINDOW_S:g}",
        "--variant", variant,
        *options,
    ]  # fmt: skip
    with _served(cmd, port) as base_url:
        yield base_url


@contextmanager
def _served(cmd: list[str], port: int) -> Iterator[str]:
    # stderr goes to a file, not a pipe: a server that logs (variant b's audit lines) would
    # block on a full pipe nobody reads while the suite runs.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            _wait_listening(proc, port, errors)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_listening(proc: subprocess.Popen[bytes], port: int, errors: Any) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            errors.seek(0)
            err = errors.read().decode(errors="replace")
            raise RuntimeError(f"the server exited: {err[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start within 30 s")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)


@dataclass
class SuiteRun:
    returncode: int
    failed: set[str] = field(default_factory=set)
    passed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    output: str = ""
    seconds: float = 0.0
    verdict: dict[str, Any] = field(default_factory=dict)  # the --report-json document
    files: dict[str, str] = field(default_factory=dict)  # junit / json / md, as written


def run_suite(
    base_url: str,
    args: list[str],
    *,
    second_key: bool = True,
    timeout_s: float = 240,
    env_extra: dict[str, str] | None = None,
    niceness: int = 0,
    window_s: float = WINDOW_S,
) -> SuiteRun:
    """`python -m contract_tests.cli <args>` against base_url; outcomes per test from JUnit XML,
    the verdict document and the Markdown report kept for inspection."""
    with tempfile.TemporaryDirectory(prefix="dnc-selftest-") as tmp:
        junit = Path(tmp) / "junit.xml"
        verdict = Path(tmp) / "verdict.json"
        markdown = Path(tmp) / "verdict.md"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
        env.update(
            DNC_BASE_URL=base_url,
            DNC_API_KEY=KEY_A,
            DNC_RATE_WINDOW_S=f"{window_s:g}",
        )
        if second_key:
            env["DNC_SECOND_TEAM_API_KEY"] = KEY_B
        env.update(env_extra or {})
        started = time.monotonic()
        reports = [f"--junitxml={junit}", f"--report-json={verdict}", f"--report-md={markdown}"]
        proc = subprocess.run(
            [sys.executable, "-m", "contract_tests.cli", "-q", *reports, *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
        )
        result = SuiteRun(
            proc.returncode, output=proc.stdout + proc.stderr, seconds=time.monotonic() - started
        )
        for name, path in (("junit", junit), ("json", verdict), ("md", markdown)):
            if path.exists():
                result.files[name] = path.read_text(encoding="utf-8")
        if "json" in result.files:
            result.verdict = json.loads(result.files["json"])
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                name = case.get("name", "")
                if case.find("failure") is not None or case.find("error") is not None:
                    result.failed.add(name)
                elif case.find("skipped") is not None:
                    result.skipped.add(name)
                else:
                    result.passed.add(name)
        return result


def run_against(fault_index: int, args: list[str], **kw: Any) -> SuiteRun:
    with serve(fault_index) as base_url:
        return run_suite(base_url, args, **kw)


def reference_app(wrapper: AppWrapper | None = None, **overrides: Any) -> Callable[[], Any]:
    def factory() -> Any:
        app = create_app(settings(**overrides), access_log=False)
        return wrapper(app) if wrapper is not None else app

    return factory
