"""`python -m reference_server` as a real process: readiness, kill -9 durability, log hygiene."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from reference_server.cli import main
from tests.processes import Process, clean_env, running

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

KEY_A = "sk-live-team-a-9f8e7d6c5b4a"
KEY_B = "sk-live-team-b-0a1b2c3d4e5f"
WRONG_KEY = "sk-wrong-key-should-not-leak-123"


@dataclass
class Server:
    process: Process
    base_url: str  # without /v1

    @property
    def lines(self) -> list[str]:
        return self.process.lines

    @property
    def stderr(self) -> str:
        return self.process.log


@contextmanager
def running_server(
    db: Path, env_keys: str | None = f"{KEY_A}:team_a,{KEY_B}:team_b", *extra: str
) -> Iterator[Server]:
    env = clean_env({"DNC_API_KEYS": env_keys} if env_keys is not None else None)
    argv = [sys.executable, "-m", "reference_server", "--port", "0", "--db", str(db), *extra]
    with running(argv, env=env, timeout_s=20) as process:
        yield Server(process, process.url.removesuffix("/v1"))


def test_a_server_killed_with_sigkill_keeps_every_acknowledged_entry(tmp_path: Path) -> None:
    db = tmp_path / "dnc.sqlite3"
    acknowledged: set[str] = set()
    headers = {"Authorization": f"Bearer {KEY_A}"}
    with running_server(db) as server, httpx.Client(base_url=server.base_url) as client:
        for i in range(20):
            response = client.post("/v1/dnc", json={"url": f"in/durable-{i:02d}"}, headers=headers)
            assert response.status_code == 201
            acknowledged.add(response.json()["data"]["url"])
        batch = [{"url": f"in/batch-durable-{i:03d}"} for i in range(200)]
        response = client.post("/v1/dnc/batch", json={"entries": batch}, headers=headers)
        assert response.status_code == 201
        acknowledged |= {d["url"] for d in response.json()["data"]["details"]}
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
    with running_server(db) as server, httpx.Client(base_url=server.base_url) as client:
        listed = client.get("/v1/dnc?limit=1000", headers=headers).json()["data"]["entries"]
        assert {entry["url"] for entry in listed} == acknowledged


def test_logs_are_json_lines_and_never_contain_an_api_key(tmp_path: Path) -> None:
    with running_server(tmp_path / "dnc.sqlite3") as server:
        with httpx.Client(base_url=server.base_url) as client:
            for key in (KEY_A, KEY_B, WRONG_KEY):
                auth = {"Authorization": f"Bearer {key}"}
                client.post("/v1/dnc", json={"url": "in/logged"}, headers=auth)
                client.get("/v1/dnc/check", params={"url": "in/logged"}, headers=auth)
                client.delete("/v1/dnc/dnc_nothing", headers=auth)
            client.get("/nowhere")
        server.process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal (exit status -SIGTERM).
        assert server.process.wait(15) in {0, -signal.SIGTERM}
    text = server.stderr
    for secret in (KEY_A, KEY_B, WRONG_KEY):
        assert secret not in text
    records = [json.loads(line) for line in server.lines if line.startswith("{")]
    requests = [r for r in records if r["event"] == "request"]
    assert len(requests) == 10
    assert {r["team"] for r in requests} == {"team_a", "team_b", None}
    assert all("?" not in r["path"] for r in requests)  # queries carry personal data
    assert any(r["event"] == "storage_closed" for r in records)  # graceful shutdown ran
    assert all(line.startswith("{") or line.startswith("listening on ") for line in server.lines)


def test_without_api_keys_two_demo_teams_are_created_and_announced_once(tmp_path: Path) -> None:
    with running_server(tmp_path / "dnc.sqlite3", env_keys=None) as server:
        keys = [line.split(": ", 1)[1] for line in server.lines if line.startswith("  team_demo_")]
        assert len(keys) == 2
        with httpx.Client(base_url=server.base_url) as client:
            for key in keys:
                ok = client.get("/v1/dnc", headers={"Authorization": f"Bearer {key}"})
                assert ok.status_code == 200
        assert sum(keys[0] in line for line in server.lines) == 1


def test_bad_configuration_exits_with_status_two_and_names_no_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DNC_API_KEYS", "secret-without-team")
    assert main(["--db", ":memory:"]) == 2
    assert "secret-without-team" not in capsys.readouterr().err


def test_sixty_concurrent_writes_over_http_admit_exactly_thirty(tmp_path: Path) -> None:
    statuses: list[int] = []

    async def burst(base_url: str) -> None:
        headers = {"Authorization": f"Bearer {KEY_B}"}
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

            async def write(i: int) -> None:
                url = f"in/over-http-{i:03d}"
                response = await client.post("/v1/dnc", json={"url": url}, headers=headers)
                statuses.append(response.status_code)

            async with anyio.create_task_group() as tg:
                for i in range(60):
                    tg.start_soon(write, i)

    with running_server(tmp_path / "dnc.sqlite3") as server:
        anyio.run(burst, server.base_url)
    assert sorted(statuses) == [201] * 30 + [429] * 30


def test_the_rate_window_flag_sets_the_rolling_window(tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {KEY_A}"}
    db = tmp_path / "dnc.sqlite3"
    with (
        running_server(db, f"{KEY_A}:team_a", "--rate-window-s", "0.5") as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        sent_ms = time.time() * 1000
        answers = [client.post("/v1/dnc/batch", json={}, headers=headers) for _ in range(11)]
        assert [a.status_code for a in answers] == [400] * 10 + [429]
        reset = answers[-1].json()["resetTime"]
        assert sent_ms < reset <= time.time() * 1000 + 500
