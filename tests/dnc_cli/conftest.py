"""The CLI runs in-process on a throw-away local list (DNC_MCP_DATA_DIR) unless a test says so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dnc.main import main


@dataclass
class Ran:
    code: int
    out: str
    err: str


Dnc = Callable[..., Ran]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("DNC_MCP_DATA_DIR", str(folder))
    monkeypatch.delenv("DNC_BASE_URL", raising=False)
    monkeypatch.delenv("DNC_API_KEY", raising=False)
    return folder


@pytest.fixture
def dnc(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Dnc:
    """`dnc("check", "in/x")`: the `dnc` command in-process; its exit code and output."""

    def run(*argv: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run
