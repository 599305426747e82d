"""`dnc delete` on a real terminal (a pseudo-terminal, the CLI in a subprocess): it shows the
entry, asks `Remove … from the Do-Not-Contact list? [y/N]`, and deletes only on a yes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Dnc

pytestmark = pytest.mark.e2e


def run_on_a_terminal(argv: list[str], answer: str, env: dict[str, str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "dnc", *argv],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while b"[y/N]" not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(leader, 1024)
        except OSError:
            break
    os.write(leader, answer.encode() + b"\n")
    stdout, _ = process.communicate(timeout=60)
    os.close(leader)
    return process.returncode, seen.decode(errors="replace") + stdout.decode()


@pytest.mark.parametrize(("answer", "deleted"), [("y", True), ("n", False), ("", False)])
def test_on_a_terminal_delete_asks_and_only_a_yes_deletes(
    dnc: Dnc, data_dir: Path, answer: str, deleted: bool
) -> None:
    dnc("add", "in/ask-me-first")
    env = {**os.environ, "DNC_MCP_DATA_DIR": str(data_dir)}
    env.pop("DNC_BASE_URL", None)
    code, shown = run_on_a_terminal(["delete", "in/ask-me-first"], answer, env)
    assert (
        "Remove https://linkedin.com/in/ask-me-first from the Do-Not-Contact list? [y/N]" in shown
    )
    assert code == (0 if deleted else 3)  # 3: declined
    still = dnc("check", "in/ask-me-first").out.startswith("ON")
    assert still is not deleted
