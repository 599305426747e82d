"""The human CLI end to end, in-process, on the real local list (the reference server in-process
over the same SQLite file `dnc mcp` uses)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import anyio
import pytest

from dnc_client import AsyncDncClient
from mcp_server.embedded import embedded_backend
from tests.bulk_harness.servers import KEY, TEAM, UNLIMITED, person, seed_over_http, serve_in_thread

from .conftest import Dnc


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_add_then_check_in_any_documented_form_and_a_second_add_is_no_error(dnc: Dnc) -> None:
    added = dnc("add", "in/john-smith", "--reason", "replied STOP")
    assert added.code == 0
    assert "Added to the Do-Not-Contact list: https://linkedin.com/in/john-smith" in added.out
    assert dnc("add", "LINKEDIN.COM/IN/JOHN-SMITH").out.startswith("Already on")
    checked = dnc("check", "https://www.linkedin.com/in/john-smith/")
    assert (checked.code, checked.out.split(":")[0]) == (0, "ON the Do-Not-Contact list")
    not_listed = dnc("check", "in/someone-else")
    assert not_listed.out.startswith("Not on the Do-Not-Contact list")
    assert not_listed.code == 1  # as grep: 0 found, 1 not found


def test_a_bad_url_is_one_clear_line_and_exit_3_never_a_traceback(dnc: Dnc) -> None:
    ran = dnc("check", "https://www.linkedin.com/company/acme")
    assert ran.code == 3  # refused: never 1, which means "not on the list"
    assert ran.err.strip() == "dnc check: 400 invalid_url: Invalid LinkedIn URL format"
    assert "Traceback" not in ran.err


@pytest.mark.parametrize(
    "argv",
    [
        ("check",),
        ("check", "in/x", "--file", "f.csv"),
        ("list", "--limit", "0"),
        ("list", "--offset", "-1"),
        ("export", "--format", "xml"),
        ("import", "/no/such/file.csv"),
        ("check", "--file", "/no/such/file.csv"),
    ],
)
def test_usage_errors_exit_2_with_a_message(dnc: Dnc, argv: tuple[str, ...]) -> None:
    ran = dnc(*argv)
    assert ran.code == 2
    assert ran.err.strip()
    assert "Traceback" not in ran.err


def test_check_file_keeps_every_column_and_row_and_never_writes_false_for_an_error(
    dnc: Dnc, tmp_path: Path
) -> None:
    dnc("add", "in/listed-person")
    source = tmp_path / "prospects.csv"
    source.write_text(
        "name,Profile_URL,notes\n"
        "Listed,https://www.linkedin.com/in/Listed-Person/,a\n"
        "Clear,linkedin.com/in/clear-person,b\n"
        "Broken,https://example.com/in/x,c\n"
        "Nothing,,d\n",
        encoding="utf-8",
    )
    ran = dnc("check", "--file", str(source))
    assert ran.code == 1  # a row could not be checked
    out = rows(ran.out)
    assert [r["name"] for r in out] == ["Listed", "Clear", "Broken", "Nothing"]
    assert [r["dnc_on_list"] for r in out] == ["true", "false", "", ""]
    assert out[0]["dnc_entry_id"].startswith("dnc_")
    assert out[0]["dnc_url"] == "https://linkedin.com/in/listed-person"
    assert out[2]["dnc_error"]
    assert out[2]["dnc_on_list"] == ""
    assert "4 rows: 1 on the Do-Not-Contact list, 1 not on it, 2 could not be checked" in ran.err


def test_check_file_reads_a_plain_list_and_writes_to_output(dnc: Dnc, tmp_path: Path) -> None:
    dnc("add", "in/listed-person")
    source, output = tmp_path / "urls.txt", tmp_path / "out.csv"
    source.write_text("in/listed-person\n\nin/other-person\n", encoding="utf-8")
    ran = dnc("check", "--file", str(source), "--output", str(output), "--quiet")
    assert (ran.code, ran.out, ran.err) == (0, "", "")
    out = rows(output.read_text(encoding="utf-8"))
    assert [(r["url"], r["dnc_on_list"]) for r in out] == [
        ("in/listed-person", "true"),
        ("in/other-person", "false"),
    ]


def test_check_file_with_an_unknown_column_is_a_usage_error(dnc: Dnc, tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("a,b\n1,2\n", encoding="utf-8")
    assert dnc("check", "--file", str(source)).code == 2
    ran = dnc("check", "--file", str(source), "--column", "nope")
    assert ran.code == 2
    assert "no column named 'nope'" in ran.err


def test_check_file_of_many_prospects_against_a_longer_list_matches_locally(
    dnc: Dnc, tmp_path: Path
) -> None:
    source = tmp_path / "listed.txt"
    source.write_text("\n".join(person(n) for n in range(1500)) + "\n", encoding="utf-8")
    assert dnc("import", str(source), "--quiet", "-o", str(tmp_path / "i.csv")).code == 0
    prospects = tmp_path / "prospects.csv"
    lines = ["linkedin_url"] + [f"in/person-{n:05d}" for n in range(1000, 2000)]
    prospects.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = dnc("check", "--file", str(prospects))
    out = rows(ran.out)
    assert [r["dnc_on_list"] == "true" for r in out] == [n < 1500 for n in range(1000, 2000)]


def test_import_is_safe_to_run_again_and_reports_each_row(dnc: Dnc, tmp_path: Path) -> None:
    source = tmp_path / "optouts.csv"
    source.write_text("url\nin/anna-one\nin/bob-two\nin/anna-one\nnot a url\n", encoding="utf-8")
    first = dnc("import", str(source), "--reason", "CRM sync")
    again = dnc("import", str(source))
    assert [r["dnc_status"] for r in rows(first.out)] == ["added", "added", "duplicate", "error"]
    assert [r["dnc_status"] for r in rows(again.out)] == ["duplicate"] * 3 + ["error"]
    assert (first.code, again.code) == (1, 1)
    assert "2 added, 1 already on the list, 1 failed" in first.err


def test_export_writes_every_entry_once_with_every_field(dnc: Dnc, tmp_path: Path) -> None:
    source = tmp_path / "urls.txt"
    source.write_text("\n".join(person(n) for n in range(1200)) + "\n", encoding="utf-8")
    dnc("import", str(source), "-q", "-o", str(tmp_path / "ignored.csv"))
    as_csv = rows(dnc("export").out)
    assert len(as_csv) == len({r["url"] for r in as_csv}) == 1200
    assert set(as_csv[0]) == {"$id", "teamId", "url", "$createdAt", "$updatedAt"}
    jsonl = dnc("export", "--format", "jsonl", "--output", str(tmp_path / "x.jsonl"))
    assert jsonl.out == ""
    lines = (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    assert len({json.loads(line)["$id"] for line in lines}) == 1200


def test_list_shows_one_page_and_says_where_the_next_starts(dnc: Dnc) -> None:
    for name in ("in/first-one", "in/second-one", "in/third-one"):
        dnc("add", name)
    ran = dnc("list", "--limit", "2")
    assert [line.split("\t")[2] for line in ran.out.splitlines()] == [
        "https://linkedin.com/in/third-one",
        "https://linkedin.com/in/second-one",
    ]
    assert "--offset 2" in ran.err


def test_delete_without_a_terminal_refuses_unless_yes(dnc: Dnc) -> None:
    entry_id = dnc("add", "in/to-remove").out.split("entry ")[1].split(",")[0]
    refused = dnc("delete", entry_id)
    assert refused.code == 2
    assert "Nothing was deleted" in refused.err
    assert dnc("check", "in/to-remove").out.startswith("ON")
    done = dnc("delete", entry_id, "--yes")
    assert done.code == 0
    assert dnc("check", "in/to-remove").out.startswith("Not on")
    assert dnc("delete", "in/to-remove", "--yes").code == 3  # nothing left to delete


def test_the_cli_sees_what_the_agent_recorded_in_the_same_local_list(
    dnc: Dnc, data_dir: Path
) -> None:
    async def agent_adds() -> None:
        async with (
            embedded_backend(data_dir) as backend,
            AsyncDncClient(backend.base_url, backend.api_key, transport=backend.transport) as api,
        ):
            await api.add("in/agent-recorded")

    anyio.run(agent_adds)
    assert "https://linkedin.com/in/agent-recorded" in dnc("list").out


def test_the_cli_talks_to_a_deployment_named_by_the_environment(
    dnc: Dnc, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from reference_server import Settings, create_app

    app = create_app(Settings(api_keys={KEY: TEAM}, rate_limits=UNLIMITED), access_log=False)
    with serve_in_thread(app) as base_url:
        seed_over_http(base_url, [person(1)])
        monkeypatch.setenv("DNC_BASE_URL", base_url)
        monkeypatch.setenv("DNC_API_KEY", KEY)
        assert dnc("check", "in/person-00001").out.startswith("ON")
        monkeypatch.setenv("DNC_API_KEY", "wrong-key-never-printed")
        denied = dnc("check", "in/person-00001")
    assert denied.code == 4
    assert "401" in denied.err
    assert "DNC_API_KEY" in denied.err
    assert "wrong-key-never-printed" not in denied.err + denied.out
