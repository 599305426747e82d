"""The CLI's audit trail names people and teams: 0600 in a 0700 folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dnc_cli.audit import AUDIT_NAME, Trail


def test_the_cli_audit_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        trail = Trail.of(tmp_path / "cli", None, None)
        trail.record(command="add", outcome="added", url="https://linkedin.com/in/x")
    finally:
        os.umask(old)
    audit = tmp_path / "cli" / AUDIT_NAME
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    assert stat.S_IMODE(audit.parent.stat().st_mode) == 0o700
