"""The two tiers of tests: a test that starts a process (a subprocess, a real PostgreSQL or
Redis, a Node MCP client, a wheel build) is `e2e`; `make test-fast` runs every other test, under
xdist.

A module marks itself with `pytestmark = pytest.mark.e2e`; a test that reaches a real server
through one of the session fixtures below (or the `postgres` backend) is marked here. So that an
unmarked process-spawning test cannot slow the fast tier unnoticed, a test outside `e2e` that
starts a process anyway fails, naming the command. tests/conftest.py installs these hooks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator
from types import FrameType
from typing import Any

import pytest

__all__ = [
    "ProcessTripwire",
    "pytest_collection_modifyitems",
    "pytest_runtest_call",
    "pytest_runtest_setup",
    "reaches_a_real_server",
]

# Fixtures that start (or hand out) a real server process from tests/real_servers.py.
REAL_SERVER_FIXTURES = frozenset(
    {"pg_server", "redis_server", "shared_stores", "stores", "redis_session", "redis_url"}
)
# Parametrized fixtures whose named parameter reaches a real server through
# `request.getfixturevalue`, which the static fixture closure cannot see.
REAL_SERVER_PARAMS = {"backend": "postgres", "store": "redis"}
CTYPES_UTIL = os.path.join("ctypes", "util.py")


def reaches_a_real_server(item: pytest.Item) -> bool:
    if REAL_SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    params: dict[str, Any] = callspec.params if callspec is not None else {}
    return any(params.get(name) == value for name, value in REAL_SERVER_PARAMS.items())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if reaches_a_real_server(item):
            item.add_marker(pytest.mark.e2e)


class ProcessTripwire:
    """Records every process started while armed; the process still starts, so the test
    behaves exactly as it would, and fails afterwards."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._execute_child = subprocess.Popen._execute_child  # type: ignore[attr-defined]
        self._fork = os.fork

    def arm(self) -> None:
        original = self._execute_child
        started = self.started

        def execute_child(popen: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> Any:
            if not _a_library_lookup():
                command = args if isinstance(args, str | bytes) else " ".join(map(str, args))
                started.append(str(command))
            return original(popen, args, *rest, **kw)

        def fork() -> int:
            started.append("os.fork()")
            return self._fork()

        subprocess.Popen._execute_child = execute_child  # type: ignore[attr-defined]
        os.fork = fork

    def disarm(self) -> None:
        subprocess.Popen._execute_child = self._execute_child  # type: ignore[attr-defined]
        os.fork = self._fork

    def verdict(self, item: pytest.Item) -> None:
        if self.started:
            commands = "; ".join(command[:200] for command in self.started)
            pytest.fail(
                f"{item.nodeid} starts a process but is not marked e2e "
                f"(pytestmark = pytest.mark.e2e), so it would slow make test-fast: {commands}",
                pytrace=False,
            )


def _a_library_lookup() -> bool:
    """`ctypes.util.find_library` runs `ldconfig -p` (trio does, on its first import): a probe
    for a shared library, once per process, not a process the test starts."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.endswith(CTYPES_UTIL):
            return True
        frame = frame.f_back
    return False


def _watched(item: pytest.Item) -> Generator[None, None, None]:
    if item.get_closest_marker("e2e") is not None:
        yield
        return
    tripwire = ProcessTripwire()
    tripwire.arm()
    try:
        yield
    finally:
        tripwire.disarm()
    tripwire.verdict(item)


# Setup and call only: session fixtures of e2e tests may stop their servers (a process) in the
# teardown of whichever test happens to run last.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield from _watched(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield from _watched(item)
