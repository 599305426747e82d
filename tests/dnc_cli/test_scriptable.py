"""The CLI in scripts: --json, documented exit codes, causes named and found fast (a refused key,
an unreachable server), --version and `dnc help CMD`, no traceback on a closed pipe, and the
audit file's trail."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from reference_server import Settings, create_app
from tests.bulk_harness.servers import KEY, TEAM, UNLIMITED, serve_in_thread

from .conftest import Dnc

REPO = Path(__file__).resolve().parents[2]


def test_every_single_command_answers_one_json_object_a_line_with_json(dnc: Dnc) -> None:
    added = json.loads(dnc("add", "in/ada-lovelace", "--json").out)
    assert added["status"] == "added"
    entry_id = added["entry"]["$id"]
    again = json.loads(dnc("add", "in/ada-lovelace", "--json").out)
    assert (again["status"], again["entry"]["$id"]) == ("already_listed", entry_id)
    checked = dnc("check", "http://www.linkedin.com/in/ada-lovelace", "--json")
    assert (checked.code, json.loads(checked.out)["onList"]) == (0, True)
    clear = dnc("check", "in/nobody-here", "--json")
    assert (clear.code, json.loads(clear.out)) == (
        1,
        {"url": "in/nobody-here", "onList": False, "entry": None},
    )
    listed = [json.loads(line) for line in dnc("list", "--json").out.splitlines()]
    assert [row["$id"] for row in listed] == [entry_id]
    deleted = json.loads(dnc("delete", entry_id, "--yes", "--json").out)
    assert (deleted["status"], deleted["entry"]["$id"]) == ("deleted", entry_id)


def test_the_audit_file_names_target_key_entry_and_reason_and_export_can_join_reasons(
    dnc: Dnc, data_dir: Path
) -> None:
    entry_id = json.loads(dnc("add", "in/ada-lovelace", "--reason", "replied STOP", "--json").out)[
        "entry"
    ]["$id"]
    exported = dnc("export", "--with-reasons").out.splitlines()
    assert exported[0] == "$id,teamId,url,$createdAt,$updatedAt,reason"
    assert exported[1].endswith(",replied STOP")
    dnc("delete", entry_id, "--yes", "--reason", "added by mistake")
    lines = [json.loads(line) for line in (data_dir / "cli-audit.jsonl").read_text().splitlines()]
    assert [(line["command"], line["outcome"], line["reason"]) for line in lines] == [
        ("dnc add", "added", "replied STOP"),
        ("dnc delete", "deleted", "added by mistake"),
    ]
    for line in lines:
        assert line["id"] == entry_id
        assert line["target"] == f"local:{data_dir}"
        assert line["key"] == "local"
        assert line["url"] == "https://linkedin.com/in/ada-lovelace"


def test_a_deployments_audit_lines_carry_its_url_and_the_keys_fingerprint_never_the_key(
    dnc: Dnc, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(Settings(api_keys={KEY: TEAM}, rate_limits=UNLIMITED), access_log=False)
    with serve_in_thread(app) as base_url:
        monkeypatch.setenv("DNC_BASE_URL", base_url)
        monkeypatch.setenv("DNC_API_KEY", KEY)
        assert dnc("add", "in/ada-lovelace", "--reason", "opted out").code == 0
    text = (data_dir / "cli-audit.jsonl").read_text()
    line = json.loads(text)
    assert line["target"] == base_url
    assert line["key"] not in {"", "local"}
    assert KEY not in text


class Counting:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


def test_a_refused_key_ends_a_file_check_after_a_few_requests_with_exit_4(
    dnc: Dnc, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "prospects.csv"
    source.write_text("url\n" + "".join(f"http://linkedin.com/in/p-{n:05d}\n" for n in range(2000)))
    app = Counting(create_app(Settings(api_keys={KEY: TEAM}), access_log=False))
    with serve_in_thread(app) as base_url:
        monkeypatch.setenv("DNC_BASE_URL", base_url)
        monkeypatch.setenv("DNC_API_KEY", "sk_wrong_and_never_printed")
        ran = dnc("check", "--file", str(source))
    assert ran.code == 4
    assert app.requests <= 8
    assert "refused the API key" in ran.err
    assert "DNC_API_KEY" in ran.err
    assert "sk_wrong_and_never_printed" not in ran.err + ran.out
    assert ran.out == ""


def test_an_unreachable_server_is_exit_5_within_seconds_naming_its_url(
    dnc: Dnc, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    source = tmp_path / "prospects.txt"
    source.write_text("".join(f"in/p-{n:05d}\n" for n in range(50)))
    monkeypatch.setenv("DNC_BASE_URL", base_url)
    monkeypatch.setenv("DNC_API_KEY", "sk_any")
    started = time.monotonic()
    ran = dnc("check", "--file", str(source))
    assert time.monotonic() - started < 20
    assert ran.code == 5
    assert base_url in ran.err


@pytest.mark.parametrize("share", ["0", "150%", "lots"])
def test_a_max_rate_outside_0_to_100_percent_is_a_usage_error(dnc: Dnc, share: str) -> None:
    assert dnc("export", "--max-rate", share).code == 2


def test_version_and_help_for_one_command(dnc: Dnc) -> None:
    version = dnc("--version")
    assert (version.code, version.out.split()[0]) == (0, "dnc")
    helped = dnc("help", "check")
    assert helped.code == 0
    assert "--max-rate" in helped.out
    assert "Exit codes" in helped.out


@pytest.mark.e2e
def test_a_closed_pipe_ends_the_command_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "DNC_DATA_DIR": str(tmp_path / "data")}
    env.pop("DNC_BASE_URL", None)
    urls = [f"in/person-{n:04d}" for n in range(300)]
    source = tmp_path / "list.txt"
    source.write_text("\n".join(urls))
    command = [sys.executable, "-m", "dnc"]
    subprocess.run([*command, "import", str(source), "-q"], env=env, cwd=REPO, check=True)
    listing = subprocess.Popen(
        [*command, "list", "--limit", "100"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout is not None
    listing.stdout.readline()
    listing.stdout.close()  # as `| head -1` does
    _, err = listing.communicate(timeout=60)
    assert b"Traceback" not in err
    assert b"BrokenPipe" not in err


@pytest.mark.e2e
def test_ctrl_c_during_an_import_writes_the_rows_answered_and_resume_sends_only_the_rest(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "DNC_DATA_DIR": str(tmp_path / "data")}
    env.pop("DNC_BASE_URL", None)
    env.pop("DNC_RATE_WINDOW_S", None)  # the documented 60 s: 8 batches, then a long wait
    source = tmp_path / "list.txt"
    source.write_text("".join(f"in/person-{n:05d}\n" for n in range(12_000)))
    out = tmp_path / "out.csv"
    command = [sys.executable, "-m", "dnc", "import", str(source), "-o", str(out)]
    process = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE)
    audit = tmp_path / "data" / "cli-audit.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        not audit.exists() or len(audit.read_text().splitlines()) < 8_000
    ):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"--resume" in err
    assert b"Traceback" not in err
    statuses = [line.split(",")[1] for line in out.read_text().splitlines()[1:]]
    assert statuses.count("added") == 8_000
    assert statuses.count("") == 4_000
    env["DNC_RATE_WINDOW_S"] = "2"  # the rest without waiting a minute
    resumed = subprocess.run(
        [*command[:4], str(out), "--resume", "-o", str(out)],
        env=env,
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert b"8000 done by an earlier run" in resumed.stderr
    statuses = [line.split(",")[1] for line in out.read_text().splitlines()[1:]]
    assert statuses == ["added"] * 12_000
