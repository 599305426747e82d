"""A stored key narrowed with `dnc keys create --scope read`, used by a team's agent through a
hosted `dnc mcp` in front of `dnc serve` (real processes): checks work, an add is refused by
the API with 403 `insufficient_scope`, and the model is told why instead of being sent to look
for another team's entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio.to_thread
import pytest

from tests.processes import clean_env

from .hosting import team_client
from .processes import http_server, reference_server
from .test_multi_tenant import data

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


def create_read_only_key(db: Path) -> str:
    """`dnc keys create --scope read` as an operator runs it; the key is its stdout."""
    command = ["keys", "--db", str(db), "create", "--team", "team_r", "--scope", "read"]
    created = subprocess.run(
        [sys.executable, "-m", "dnc", *command],
        env=clean_env({}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "with scopes read" in created.stderr
    return created.stdout.strip()


async def test_a_read_only_stored_key_checks_through_dnc_mcp_and_its_add_is_refused_with_a_reason(
    tmp_path: Path,
) -> None:
    # The file reference_server() serves, keys created in it before it starts.
    key = await anyio.to_thread.run_sync(create_read_only_key, tmp_path / "ref.db")
    with (
        reference_server(tmp_path, {"sk_live_unused_env_key_0b7e19c4a2": "team_env"}) as api,
        http_server(tmp_path, env={"DNC_BASE_URL": api.base_url}) as server,
    ):
        async with team_client(server.url, key) as agent:
            checked = data(await agent.call_tool("dnc_check", {"url": "in/scoped-reader"}))
            added = await agent.call_tool("dnc_add", {"url": "in/scoped-reader"})
        log = server.stderr()
    assert checked == {"onList": False, "entry": None}
    assert added.is_error
    text = " ".join(getattr(part, "text", "") for part in added.content)
    assert "403 insufficient_scope" in text
    assert "'write' scope" in text
    assert "another team" not in text
    assert key not in text
    assert key not in log
