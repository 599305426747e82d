"""Spec first, proven: a copy of the project whose openapi.yaml says 20 writes per window.

The copy's reference server must admit exactly 20 writes, and the copy's conformance suite must
hold a server to 20: it passes the copy's server and fails one that still admits the seeds' 30.
Nothing is patched: the copy is the project's own files with one number changed in the spec.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dnc_kit import contract
from dnc_kit.resources import DATA_DIR
from tests.processes import ServerProcess, start_server

pytestmark = pytest.mark.e2e

REPO = DATA_DIR
PACKAGES = ("dnc_kit", "dnc_client", "reference_server", "contract_tests")
COPIED_LIMIT = 20
WINDOW_S = 2.0


def _spec_with_write_limit(text: str, limit: int) -> str:
    documented = contract.BUCKET_LIMITS["write"]
    old = f"bucket: write\n        limit: {documented}\n"
    assert text.count(old) == 2, "both write operations (add, delete) declare the write bucket"
    return text.replace(old, f"bucket: write\n        limit: {limit}\n")


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spec-copy")
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copytree(REPO / "fixtures", root / "fixtures")
    spec = (REPO / "openapi.yaml").read_text(encoding="utf-8")
    (root / "openapi.yaml").write_text(_spec_with_write_limit(spec, COPIED_LIMIT), encoding="utf-8")
    return root


def _copy_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root)  # the copy's packages shadow the checkout's
    env.pop("DNC_BASE_URL", None)
    return env


def _run_in_copy(root: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=root,
        env=_copy_env(root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_copy_reads_its_own_spec(copy_root: Path) -> None:
    out = _run_in_copy(
        copy_root,
        """
        from dnc_kit import contract
        from dnc_kit.resources import OPENAPI_PATH
        print(OPENAPI_PATH.parent, contract.BUCKET_LIMITS["write"])
        """,
    )
    assert out.split() == [str(copy_root), str(COPIED_LIMIT)]


def test_the_copys_reference_server_admits_exactly_the_specs_write_limit(copy_root: Path) -> None:
    out = _run_in_copy(
        copy_root,
        """
        import asyncio
        from reference_server.settings import Settings
        from reference_server.testing import inprocess_client

        async def main():
            async with inprocess_client(Settings(api_keys={"k": "team_a"})) as client:
                statuses = []
                for n in range(35):
                    response = await client.post(
                        "/v1/dnc",
                        json={"url": f"https://linkedin.com/in/spec-copy-{n}"},
                        headers={"Authorization": "Bearer k"},
                    )
                    statuses.append(response.status_code)
                print(statuses.count(201), statuses.count(429), statuses.index(429))

        asyncio.run(main())
        """,
    )
    assert out.split() == [str(COPIED_LIMIT), str(35 - COPIED_LIMIT), str(COPIED_LIMIT)]


def _suite(copy: Path, server: ServerProcess | None) -> subprocess.CompletedProcess[str]:
    """The copy's suite, write-bucket rate limits only, against `server` (None: embedded)."""
    env = _copy_env(copy)
    env["DNC_RATE_WINDOW_S"] = f"{WINDOW_S:g}"
    if server is not None:
        env["DNC_BASE_URL"] = server.base_url
        env["DNC_API_KEY"], env["DNC_SECOND_TEAM_API_KEY"] = server.keys
    selection = ["-m", "rate_limit", "-k", "add_and_delete", "-p", "no:randomly", "-q"]
    return subprocess.run(
        [sys.executable, "-m", "contract_tests.cli", *selection],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_copys_suite_passes_the_copys_server(copy_root: Path) -> None:
    done = _suite(copy_root, None)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout


def test_the_copys_suite_fails_a_server_that_admits_the_seeds_30(copy_root: Path) -> None:
    # The checkout's own server: its spec still says 30.
    with start_server(window_s=WINDOW_S) as documented:
        done = _suite(copy_root, documented)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "2 failed" in done.stdout
    assert str(COPIED_LIMIT) in done.stdout
