"""A bad shared setting is one clear line from every command, never a traceback or a default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

COMMANDS = {
    "serve": ["serve", "--port", "0"],
    "mcp": ["mcp"],
    "conformance": ["conformance", "-m", "schema"],
    "check": ["check", "https://linkedin.com/in/someone"],
}
BAD_WINDOWS = ["0", "-5", "sixty", "nan"]


def _dnc(
    args: list[str], env_update: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    env.update(DNC_DATA_DIR=str(cwd / "data"), DNC_FINGERPRINT_KEY="f" * 32, **env_update)
    return subprocess.run(
        [sys.executable, "-m", "dnc", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _one_line_naming(done: subprocess.CompletedProcess[str], name: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert name in lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("window", BAD_WINDOWS)
def test_a_bad_rate_window_stops_every_command_with_one_line(
    command: str, window: str, tmp_path: Path
) -> None:
    done = _dnc(COMMANDS[command], {"DNC_RATE_WINDOW_S": window}, tmp_path)
    line = _one_line_naming(done, "DNC_RATE_WINDOW_S")
    assert line.startswith(f"dnc {command}: ")
    assert repr(window) in line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_base_url_that_is_not_http_is_refused_without_its_password(
    command: str, tmp_path: Path
) -> None:
    done = _dnc(
        COMMANDS[command],
        {"DNC_BASE_URL": "ftp://admin:hunter2@api.example.com/v1", "DNC_API_KEY": "k"},
        tmp_path,
    )
    line = _one_line_naming(done, "DNC_BASE_URL")
    assert "hunter2" not in done.stderr + done.stdout
    assert "http://" in line


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["serve", "--port", "0", "--rate-window-s", "0"], "--rate-window-s"),
        (["mcp", "--rate-window", "-1"], "--rate-window"),
    ],
)
def test_a_bad_flag_is_refused_like_the_variable(
    args: list[str], flag: str, tmp_path: Path
) -> None:
    _one_line_naming(_dnc(args, {}, tmp_path), flag)
