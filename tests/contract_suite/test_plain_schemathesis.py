"""Plain Schemathesis (`st run`, every check, positive and negative data, every phase) finds no
failure in the reference server: the spec and the server agree where Schemathesis can tell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dnc_kit.resources import OPENAPI_PATH

from .harness import KEY_A, serve

pytestmark = pytest.mark.e2e

# Short enough that Schemathesis' own traffic never meets a 429 (the limits have their own tests).
WINDOW_S = 0.05


def test_plain_schemathesis_with_all_checks_finds_no_failure_in_the_reference_server(
    tmp_path: Path,
) -> None:
    with serve(window_s=WINDOW_S) as base_url:
        command = [
            sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()",
            "run", str(OPENAPI_PATH),
            "--url", base_url,
            "--header", f"Authorization: Bearer {KEY_A}",
            "--checks", "all",
            "--mode", "all",
            "--max-examples", "25",
            "--seed", "1",
            "--generation-database", "none",
            "--no-color",
        ]  # fmt: skip
        proc = subprocess.run(
            command,
            cwd=tmp_path,  # Schemathesis and Hypothesis keep caches in the working directory
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "No issues found" in output, output[-6000:]
    assert "Tested: 5" in output, output[-3000:]
