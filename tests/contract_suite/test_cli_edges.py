"""`dnc conformance` at its edges: a short help of its own, pytest's behind --help-pytest, a bad
setting as one line, and Hypothesis' files kept out of the user's working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from contract_tests.options import _hypothesis_home

from .harness import REPO_ROOT


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DNC_")}
    return subprocess.run(
        [sys.executable, "-m", "contract_tests.cli", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.e2e
def test_help_shows_the_suites_own_options_briefly_and_pytests_behind_a_flag() -> None:
    short = _cli("--help")
    assert short.returncode == 0, short.stderr
    lines = short.stdout.splitlines()
    assert lines[0].startswith("usage: dnc conformance")
    assert len(lines) < 80, len(lines)
    for option in ("--base-url", "--baseline", "--report-md", "--help-pytest"):
        assert option in short.stdout
    full = _cli("--help-pytest")
    assert full.returncode == 0, full.stderr
    assert "--junit-xml" in full.stdout
    assert len(full.stdout.splitlines()) > 200


@pytest.mark.e2e
@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan"])
def test_a_bad_rate_window_is_one_line_naming_the_variable_and_exit_code_2(value: str) -> None:
    run = _cli("-q", DNC_RATE_WINDOW_S=value)
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("dnc conformance: DNC_RATE_WINDOW_S must be "), line
    assert line.endswith(f"number of seconds, got {value!r}"), line
    assert "Traceback" not in run.stdout + run.stderr


def test_hypothesis_keeps_its_files_in_a_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    try:
        _hypothesis_home()
        where = storage_directory("unicode_data", intent_to_write=False).path
    finally:
        set_hypothesis_home_dir(None)
    assert where.is_relative_to(tmp_path / "dnc-kit" / "hypothesis"), where
