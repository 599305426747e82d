"""`dnc check --file` and `dnc import` on files as spreadsheets and CRMs write them, and output
that never harms what it is written to (a symlink, a FIFO, a file's mode)."""

from __future__ import annotations

import codecs
import io
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from .conftest import Dnc

LONG_URL = "https://linkedin.com/in/" + "a" * 70_000


@pytest.fixture
def listed(dnc: Dnc) -> None:
    for name in ("ada-lovelace", "alan-turing"):
        assert dnc("add", f"in/{name}").code == 0


def test_a_semicolon_file_with_a_bom_and_crlf_comes_back_the_same_way(
    dnc: Dnc, listed: None, tmp_path: Path
) -> None:
    source = tmp_path / "excel.csv"
    text = "Name;LinkedIn URL;Note\r\nAda;https://www.linkedin.com/in/ada-lovelace/;a, b\r\n"
    text += "Bob;http://uk.linkedin.com/in/bob-nobody;\r\n"
    source.write_bytes(codecs.BOM_UTF8 + text.encode())
    out = tmp_path / "out.csv"
    ran = dnc("check", "--file", str(source), "--column", "linkedin url", "-o", str(out))
    assert ran.code == 0, ran.err
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    lines = data[3:].decode().split("\r\n")
    assert lines[0] == "Name;LinkedIn URL;Note;dnc_on_list;dnc_entry_id;dnc_url;dnc_error"
    assert lines[1].startswith("Ada;https://www.linkedin.com/in/ada-lovelace/;a, b;true;dnc_")
    assert lines[2].startswith("Bob;http://uk.linkedin.com/in/bob-nobody;;false;;")


def test_the_delimiter_is_sniffed_from_the_header_or_given(
    dnc: Dnc, listed: None, tmp_path: Path
) -> None:
    tabbed = tmp_path / "tabbed.tsv"
    tabbed.write_text("name\tprofile_url\nAda\tin/ada-lovelace\n")
    ran = dnc("check", "--file", str(tabbed))
    assert ran.out.splitlines()[1].split("\t")[:3] == ["Ada", "in/ada-lovelace", "true"]
    forced = tmp_path / "forced.csv"
    forced.write_text("url;a,b,c\nin/alan-turing;x,y,z\n")  # more commas than semicolons
    assert dnc("check", "--file", str(forced)).code == 2  # sniffed ',': no URL column
    ran = dnc("check", "--file", str(forced), "--delimiter", ";")
    assert ran.out.splitlines()[1].split(";")[:3] == ["in/alan-turing", "x,y,z", "true"]


def test_a_plain_list_keeps_urls_with_commas_and_quoted_lines_whole(
    dnc: Dnc, listed: None, tmp_path: Path
) -> None:
    source = tmp_path / "list.txt"
    source.write_text(
        "https://www.linkedin.com/sales/lead/ACwAAA,NAME_SEARCH,abc\n"
        '"https://www.linkedin.com/in/alan-turing/"\n'
    )
    ran = dnc("check", "--file", str(source), "--json")
    rows = [json.loads(line) for line in ran.out.splitlines()]
    assert [row["url"] for row in rows] == [
        "https://www.linkedin.com/sales/lead/ACwAAA,NAME_SEARCH,abc",
        "https://www.linkedin.com/in/alan-turing/",
    ]
    assert rows[0]["dnc_on_list"] == ""  # not a profile URL: unknown, never "false"
    assert rows[0]["dnc_error"]
    assert rows[1]["dnc_on_list"] == "true"
    assert ran.code == 1


def test_a_one_column_file_with_a_header_keeps_urls_with_commas_whole(
    dnc: Dnc, listed: None, tmp_path: Path
) -> None:
    source = tmp_path / "one-column.csv"
    source.write_text(
        "linkedin_url\n"
        "https://www.linkedin.com/sales/lead/ACwAAAB1,NAME_SEARCH,x1\n"
        "https://www.linkedin.com/in/alan-turing/\n"
    )
    ran = dnc("check", "--file", str(source), "--json")
    rows = [json.loads(line) for line in ran.out.splitlines()]
    assert [list(row)[:2] for row in rows] == [["linkedin_url", "dnc_on_list"]] * 2
    assert [row["linkedin_url"] for row in rows] == [
        "https://www.linkedin.com/sales/lead/ACwAAAB1,NAME_SEARCH,x1",
        "https://www.linkedin.com/in/alan-turing/",
    ]
    assert rows[1]["dnc_on_list"] == "true"
    out = tmp_path / "out.csv"
    assert dnc("check", "--file", str(source), "-o", str(out)).code == 1  # row 1: not a profile
    written = out.read_text().splitlines()[1]
    assert written.startswith('"https://www.linkedin.com/sales/lead/ACwAAAB1,NAME_SEARCH,x1",,')


def test_another_encoding_is_read_when_named_and_written_back_in_it(
    dnc: Dnc, listed: None, tmp_path: Path
) -> None:
    source = tmp_path / "old.csv"
    source.write_bytes("name,url\nAd\u00e9le,in/ada-lovelace\n".encode("cp1252"))
    assert dnc("check", "--file", str(source)).code == 2  # not UTF-8: says to name it
    out = tmp_path / "out.csv"
    ran = dnc("check", "--file", str(source), "--encoding", "cp1252", "-o", str(out))
    assert ran.code == 0, ran.err
    assert out.read_bytes().decode("cp1252").splitlines()[1].startswith("Ad\u00e9le,")


def test_stdin_and_stdout_are_dash(dnc: Dnc, listed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"in/ada-lovelace\nin/nobody\n")))
    ran = dnc("check", "--file", "-", "-o", "-")
    rows = [line.split(",") for line in ran.out.splitlines()]
    assert rows[0] == ["url", "dnc_on_list", "dnc_entry_id", "dnc_url", "dnc_error"]
    assert rows[1][:2] == ["in/ada-lovelace", "true"]
    assert rows[2] == ["in/nobody", "false", "", "https://linkedin.com/in/nobody", ""]


def test_a_70000_character_url_is_one_invalid_row_and_every_other_row_is_answered(
    dnc: Dnc, listed: None, tmp_path: Path
) -> None:
    source = tmp_path / "huge.csv"
    source.write_text(f"url\nin/ada-lovelace\n{LONG_URL}\nin/nobody\n")
    ran = dnc("check", "--file", str(source), "--json")
    rows = [json.loads(line) for line in ran.out.splitlines()]
    assert [row["dnc_on_list"] for row in rows] == ["true", "", "false"]
    assert "longer than" in rows[1]["dnc_error"]
    assert ran.code == 1
    assert "Traceback" not in ran.err
    single = dnc("check", LONG_URL)
    assert single.code == 3
    assert "Traceback" not in single.err
    imported = dnc("import", str(source), "--json")
    assert [json.loads(line)["dnc_status"] for line in imported.out.splitlines()] == [
        "duplicate",
        "error",
        "added",
    ]


def test_import_resume_sends_only_the_rows_an_earlier_run_did_not_finish(
    dnc: Dnc, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.csv"
    earlier.write_text(
        "url,dnc_status,dnc_url,dnc_error\n"
        "in/first-person,added,https://linkedin.com/in/first-person,\n"
        "in/second-person,,,\n"
    )
    ran = dnc("import", str(earlier), "--resume", "-o", str(earlier))
    assert ran.code == 0, ran.err
    assert "1 done by an earlier run" in ran.err
    assert earlier.read_text().splitlines()[2].startswith("in/second-person,added,")
    assert dnc("check", "in/first-person").code == 1  # skipped: never sent
    assert dnc("check", "in/second-person").code == 0


def test_output_writes_through_a_symlink_and_keeps_the_link(dnc: Dnc, tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert dnc("export", "-o", str(link)).code == 0
    assert link.is_symlink()
    assert target.read_text().startswith("$id,teamId,url")


def test_output_into_a_fifo_is_written_never_replaced(dnc: Dnc, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    ran = dnc("export", "-o", str(fifo))
    reader.join(timeout=10)
    assert ran.code == 0, ran.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received[0].startswith(b"$id,teamId,url")


def test_a_new_file_gets_the_umasks_mode_and_an_existing_file_keeps_its_own(
    dnc: Dnc, tmp_path: Path
) -> None:
    previous = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.csv"
        assert dnc("export", "-o", str(fresh)).code == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.csv"
        kept.write_text("x")
        kept.chmod(0o640)
        assert dnc("export", "-o", str(kept)).code == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(previous)
