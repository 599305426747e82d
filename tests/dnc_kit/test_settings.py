"""The one reader of the DNC_* environment: every variable, every bad value, one kind of error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dnc_kit import contract
from dnc_kit.fingerprints import KeyFingerprinter, key_fingerprint, use_fingerprinter
from dnc_kit.private_files import private_dir, read_or_create_secret, touch_private
from dnc_kit.redaction import redact_url
from dnc_kit.settings import SettingsError, default_data_dir, read_environment


def test_an_empty_environment_gives_the_spec_window_and_the_platform_data_folder() -> None:
    env = read_environment({})
    assert env.rate_window_s is None
    assert env.window_s == contract.DEFAULT_WINDOW_S == 60.0
    assert env.data_dir == default_data_dir()
    assert env.base_url is env.api_key is env.mcp_token is None


def test_every_shared_variable_is_read_into_one_value() -> None:
    env = read_environment(
        {
            "DNC_BASE_URL": "https://api.example.com/v1",
            "DNC_API_KEY": " key-a ",
            "DNC_SECOND_TEAM_API_KEY": "key-b",
            "DNC_RATE_WINDOW_S": "2.5",
            "DNC_DATA_DIR": "/tmp/dnc-data",
            "DNC_DB": "/tmp/x.db",
            "DNC_DATABASE_URL": "postgresql://u:pw@db/dnc",
            "DNC_REDIS_URL": "redis://cache:6379/0",
            "DNC_API_KEYS": "k1:team_a",
            "DNC_CLOCK_SKEW_S": "0",
            "DNC_MCP_TOKEN": "tok",
            "DNC_MCP_REDIS_URL": "rediss://cache:6380/1",
            "DNC_MCP_STATE_SECRET": "s" * 32,
            "DNC_MCP_AUDIT_LOG": "/tmp/audit.jsonl",
            "DNC_MCP_MAX_WAIT_S": "5",
        }
    )
    assert env.api_key == "key-a"
    assert env.window_s == 2.5
    assert env.data_dir == Path("/tmp/dnc-data")
    assert env.clock_skew_s == 0.0
    assert env.mcp_max_wait_s == 5.0
    assert env.mcp_audit_log == Path("/tmp/audit.jsonl")
    assert env.database_url == "postgresql://u:pw@db/dnc"


def test_the_old_data_dir_name_still_works_and_the_new_one_wins() -> None:
    assert read_environment({"DNC_MCP_DATA_DIR": "/old"}).data_dir == Path("/old")
    both = {"DNC_MCP_DATA_DIR": "/old", "DNC_DATA_DIR": "/new"}
    assert read_environment(both).data_dir == Path("/new")


def test_an_empty_or_blank_variable_counts_as_unset() -> None:
    env = read_environment({"DNC_RATE_WINDOW_S": "  ", "DNC_BASE_URL": "", "DNC_API_KEY": " "})
    assert env.rate_window_s is None
    assert env.base_url is None
    assert env.api_key is None


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DNC_RATE_WINDOW_S", "0", "positive"),
        ("DNC_RATE_WINDOW_S", "-3", "positive"),
        ("DNC_RATE_WINDOW_S", "abc", "number of seconds"),
        ("DNC_RATE_WINDOW_S", "nan", "finite"),
        ("DNC_RATE_WINDOW_S", "inf", "finite"),
        ("DNC_CLOCK_SKEW_S", "-1", "zero or more"),
        ("DNC_MCP_MAX_WAIT_S", "soon", "number of seconds"),
        ("DNC_BASE_URL", "ftp://api.example.com", "http:// or https://"),
        ("DNC_DATABASE_URL", "mysql://db", "postgresql://"),
        ("DNC_REDIS_URL", "http://cache", "redis://"),
        ("DNC_MCP_REDIS_URL", "cache:6379", "redis://"),
        ("DNC_MCP_STATE_SECRET", "short", "at least 32 bytes"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        read_environment({variable: value})
    message = str(raised.value)
    assert message.startswith(variable)
    assert says in message
    assert "\n" not in message
    assert raised.value.name == variable


def test_a_bad_url_is_named_without_its_password() -> None:
    with pytest.raises(SettingsError) as raised:
        read_environment({"DNC_BASE_URL": "ftp://user:hunter2@api.example.com/v1"})
    assert "hunter2" not in str(raised.value)


def test_the_repr_shows_no_secret() -> None:
    env = read_environment(
        {
            "DNC_API_KEY": "secret-key-value",
            "DNC_MCP_TOKEN": "secret-token-value",
            "DNC_DATABASE_URL": "postgresql://u:secret-pw@db/dnc",
            "DNC_BASE_URL": "https://u:secret-basic@api.example.com/v1",
        }
    )
    assert "secret" not in repr(env)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://dnc:pw@db:5432/dnc", "postgresql://dnc:***@db:5432/dnc"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("https://user@api.example.com/v1", "https://user@api.example.com/v1"),
        ("https://api.example.com/v1?x=a@b", "https://api.example.com/v1?x=a@b"),
        ("https://u:p@ss@api.example.com/v1", "https://u:***@api.example.com/v1"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url_drops_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_fingerprints_are_keyed_so_a_guess_cannot_be_checked_without_the_key() -> None:
    one, other = KeyFingerprinter(b"k" * 32), KeyFingerprinter(b"j" * 32)
    assert one("weak-key") == one("weak-key")
    assert one("weak-key") != other("weak-key")
    assert one("weak-key") != one("weak-kez")
    assert one("weak-key").startswith("fp_")
    assert len(one("weak-key")) == 3 + 16
    assert "k" * 32 not in repr(one)


def test_the_process_fingerprint_comes_from_dnc_fingerprint_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DNC_FINGERPRINT_KEY", "x" * 32)
    use_fingerprinter(None)
    try:
        assert key_fingerprint("abc") == KeyFingerprinter(b"x" * 32)("abc")
    finally:
        use_fingerprinter(None)


def test_without_a_configured_key_the_data_folder_keeps_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DNC_FINGERPRINT_KEY", raising=False)
    monkeypatch.setenv("DNC_DATA_DIR", str(tmp_path / "data"))
    use_fingerprinter(None)
    try:
        first = key_fingerprint("abc")
        use_fingerprinter(None)  # a restart reads the same key back
        assert key_fingerprint("abc") == first
    finally:
        use_fingerprinter(None)
    key_file = tmp_path / "data" / "fingerprint-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_private_files_are_0600_in_a_0700_folder_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        folder = private_dir(tmp_path / "a" / "b")
        db = touch_private(folder / "list.db")
        secret = read_or_create_secret(folder / "secret")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert read_or_create_secret(folder / "secret") == secret


def test_a_folder_the_user_made_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
